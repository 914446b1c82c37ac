/**
 * An RGBA raster to draw plots on: pixels, lines a few pixels thick and labels in the bitmap
 * font, then PNG bytes through pngjs. Drawing is plain integer arithmetic, so the same calls
 * always give the same bytes.
 */
import { PNG } from "pngjs";
import { forEachInkedCell, GLYPH_HEIGHT, textWidth } from "./bitmap-font.js";

/** Red, green, blue, each 0–255. */
export type Rgb = readonly [number, number, number];

export class PlotCanvas {
  readonly width: number;
  readonly height: number;
  private readonly png: PNG;

  constructor(width: number, height: number, background: Rgb) {
    this.width = width;
    this.height = height;
    this.png = new PNG({ width, height });
    for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) this.set(x, y, background);
  }

  /** Paints one pixel; coordinates outside the canvas are ignored. */
  set(x: number, y: number, color: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const offset = (y * this.width + x) * 4;
    this.png.data[offset] = color[0];
    this.png.data[offset + 1] = color[1];
    this.png.data[offset + 2] = color[2];
    this.png.data[offset + 3] = 255;
  }

  /** A square of side `thickness` centred on (x, y). */
  dot(x: number, y: number, color: Rgb, thickness = 1): void {
    const from = -Math.floor((thickness - 1) / 2);
    for (let dy = from; dy < from + thickness; dy++) {
      for (let dx = from; dx < from + thickness; dx++) this.set(x + dx, y + dy, color);
    }
  }

  /** A straight line between two pixels, by Bresenham's algorithm. */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1): void {
    const dx = Math.abs(x1 - x0);
    const dy = -Math.abs(y1 - y0);
    const stepX = x0 < x1 ? 1 : -1;
    const stepY = y0 < y1 ? 1 : -1;
    let error = dx + dy;
    let x = x0;
    let y = y0;
    for (;;) {
      this.dot(x, y, color, thickness);
      if (x === x1 && y === y1) return;
      const doubled = 2 * error;
      if (doubled >= dy) {
        error += dy;
        x += stepX;
      }
      if (doubled <= dx) {
        error += dx;
        y += stepY;
      }
    }
  }

  /**
   * `text` in the bitmap font, each font cell `scale` pixels wide; `anchor` says which point of
   * the label (x, y) is: its left, centre or right end, at mid-height.
   */
  text(text: string, x: number, y: number, color: Rgb, scale: number, anchor: Anchor): void {
    const width = textWidth(text) * scale;
    const left = anchor === "left" ? x : anchor === "right" ? x - width : x - Math.floor(width / 2);
    const top = y - Math.floor((GLYPH_HEIGHT * scale) / 2);
    forEachInkedCell(text, (cellX, cellY) => {
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          this.set(left + cellX * scale + dx, top + cellY * scale + dy, color);
        }
      }
    });
  }

  /** The picture as PNG bytes. */
  toPng(): Buffer {
    return PNG.sync.write(this.png);
  }
}

export type Anchor = "left" | "center" | "right";
