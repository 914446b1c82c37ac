import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { PNG } from "pngjs";
import { type LossCurve, renderLossCurve } from "../../src/train/loss-curve.js";

/** Whether the pixel is ink of a loss line: bluish, unlike the white, greys and black around. */
function isCurveInk(image: PNG, x: number, y: number): boolean {
  const offset = (y * image.width + x) * 4;
  const [red = 0, , blue = 0] = image.data.subarray(offset, offset + 3);
  return blue - red > 30;
}

/** Rows of the plot area in column `x` that hold curve ink. */
function inkRows(image: PNG, curve: LossCurve, x: number): number[] {
  const rows = [];
  for (let y = curve.plot.top; y <= curve.plot.bottom; y++)
    if (isCurveInk(image, x, y)) rows.push(y);
  return rows;
}

describe("renderLossCurve", () => {
  test("decodes as a PNG of the size asked for", () => {
    const losses = Float64Array.from({ length: 50 }, (_, i) => 1 / (i + 1));
    const curve = renderLossCurve({ losses, width: 640, height: 320 });
    const image = PNG.sync.read(curve.png);
    assert.deepEqual([image.width, image.height], [640, 320]);
  });

  test("draws a falling loss as a line that descends left to right where the values say", () => {
    // Linear from 2.0 to 1.01: a moving average leaves it as it is away from the ends.
    const losses = Float64Array.from({ length: 100 }, (_, i) => 2 - i * 0.01);
    const curve = renderLossCurve({ losses });
    const image = PNG.sync.read(curve.png);
    assert.equal(curve.logScale, false);

    const early = curve.pixelOf(25, losses[24]!);
    const late = curve.pixelOf(75, losses[74]!);
    assert.ok(early.x < late.x && early.y < late.y, "later and lower loss is right and down");
    for (const point of [early, late]) {
      const rows = inkRows(image, curve, point.x);
      assert.ok(rows.length > 0, `curve ink in column ${point.x}`);
      // Lines are 1 and 2 pixels thick; the ink must sit on the value's row.
      assert.ok(
        rows.every((y) => Math.abs(y - point.y) <= 2),
        `ink rows ${rows} near ${point.y}`,
      );
    }
  });

  test("uses a log axis when the loss spans more than a decade", () => {
    // From 10 down to 0.01 geometrically: on a log axis, a straight line.
    const losses = Float64Array.from({ length: 101 }, (_, i) => 10 * 10 ** (-3 * (i / 100)));
    const curve = renderLossCurve({ losses });
    assert.equal(curve.logScale, true);

    const first = curve.pixelOf(1, 10);
    const middle = curve.pixelOf(51, losses[50]!);
    const last = curve.pixelOf(101, 0.01);
    assert.ok(
      Math.abs(middle.y - (first.y + last.y) / 2) <= 1,
      "the geometric midpoint is halfway",
    );
    const image = PNG.sync.read(curve.png);
    assert.ok(inkRows(image, curve, middle.x).some((y) => Math.abs(y - middle.y) <= 2));

    const narrow = renderLossCurve({ losses: Float64Array.from([2, 1, 0.5]) });
    assert.equal(narrow.logScale, false);
  });

  test("draws a single step as a point in the middle", () => {
    const curve = renderLossCurve({ losses: Float64Array.of(1.5) });
    const image = PNG.sync.read(curve.png);
    const point = curve.pixelOf(1, 1.5);
    assert.equal(point.x, Math.round((curve.plot.left + curve.plot.right) / 2));
    assert.ok(isCurveInk(image, point.x, point.y));
  });

  test("leaves a gap where the loss is not finite, and counts those steps", () => {
    const losses = Float64Array.from({ length: 100 }, (_, i) => 1 + (i % 2) * 0.01);
    for (let i = 40; i < 60; i++) losses[i] = i % 2 === 0 ? Number.NaN : Number.POSITIVE_INFINITY;
    const curve = renderLossCurve({ losses });
    const image = PNG.sync.read(curve.png);

    assert.equal(curve.skippedSteps, 20);
    assert.deepEqual(inkRows(image, curve, curve.pixelOf(50, 1).x), []);
    assert.ok(inkRows(image, curve, curve.pixelOf(20, 1).x).length > 0);

    const nothing = renderLossCurve({ losses: Float64Array.of(Number.NaN, Number.NaN) });
    assert.equal(nothing.skippedSteps, 2);
    PNG.sync.read(nothing.png);
  });

  test("gives the same bytes for the same losses", () => {
    const losses = Float64Array.from({ length: 300 }, (_, i) => Math.exp(-i / 50) + 0.1);
    assert.ok(renderLossCurve({ losses }).png.equals(renderLossCurve({ losses }).png));
  });
});
