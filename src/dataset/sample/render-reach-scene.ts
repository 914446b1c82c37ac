/**
 * Draws the reach task as a camera sees it: a dark floor, the red target, and the two-link arm.
 * The target is only in the picture, never in the state, so a policy must look to reach it.
 *
 * Images are (H, W, 3) RGB uint8. World coordinates are metres with the shoulder at the centre.
 */
export type CameraView = "front" | "top";

export interface SceneFrame {
  shoulder: number;
  elbow: number;
  targetX: number;
  targetY: number;
}

const UPPER_ARM_M = 1.0;
const FOREARM_M = 0.8;
/** Half the side of the square of floor a camera sees. */
const VIEW_HALF_M = 2.1;

const PALETTE: Record<CameraView, { floor: number[]; arm: number[]; hand: number[] }> = {
  front: { floor: [40, 40, 48], arm: [230, 230, 230], hand: [80, 160, 255] },
  top: { floor: [60, 56, 40], arm: [250, 220, 120], hand: [120, 255, 140] },
};
const TARGET = [230, 40, 40];

export function renderReachScene(
  out: Uint8Array,
  width: number,
  height: number,
  frame: SceneFrame,
  view: CameraView,
): void {
  const colours = PALETTE[view];
  for (let pixel = 0; pixel < width * height; pixel++) out.set(colours.floor, pixel * 3);

  const metresToPixels = Math.min(width, height) / (2 * VIEW_HALF_M);
  // The top camera looks down from the other side: its image is the front one mirrored.
  const mirror = view === "top" ? -1 : 1;
  const toPixel = (x: number, y: number): [number, number] => [
    width / 2 + mirror * x * metresToPixels,
    height / 2 - y * metresToPixels,
  ];

  const elbowX = UPPER_ARM_M * Math.cos(frame.shoulder);
  const elbowY = UPPER_ARM_M * Math.sin(frame.shoulder);
  const handX = elbowX + FOREARM_M * Math.cos(frame.shoulder + frame.elbow);
  const handY = elbowY + FOREARM_M * Math.sin(frame.shoulder + frame.elbow);
  const radius = Math.max(2, Math.round(Math.min(width, height) / 24));

  drawDisc(out, width, height, toPixel(frame.targetX, frame.targetY), radius, TARGET);
  drawSegment(out, width, height, toPixel(0, 0), toPixel(elbowX, elbowY), radius / 2, colours.arm);
  drawSegment(
    out,
    width,
    height,
    toPixel(elbowX, elbowY),
    toPixel(handX, handY),
    radius / 2,
    colours.arm,
  );
  drawDisc(out, width, height, toPixel(handX, handY), radius * 0.7, colours.hand);
}

function drawDisc(
  out: Uint8Array,
  width: number,
  height: number,
  [cx, cy]: [number, number],
  radius: number,
  colour: number[],
): void {
  const top = Math.max(0, Math.floor(cy - radius));
  const bottom = Math.min(height - 1, Math.ceil(cy + radius));
  const left = Math.max(0, Math.floor(cx - radius));
  const right = Math.min(width - 1, Math.ceil(cx + radius));
  for (let y = top; y <= bottom; y++) {
    for (let x = left; x <= right; x++) {
      if ((x - cx) ** 2 + (y - cy) ** 2 <= radius * radius) out.set(colour, (y * width + x) * 3);
    }
  }
}

function drawSegment(
  out: Uint8Array,
  width: number,
  height: number,
  from: [number, number],
  to: [number, number],
  halfWidth: number,
  colour: number[],
): void {
  const steps = Math.ceil(Math.hypot(to[0] - from[0], to[1] - from[1]) * 2) + 1;
  for (let step = 0; step <= steps; step++) {
    const t = step / steps;
    const point: [number, number] = [
      from[0] + t * (to[0] - from[0]),
      from[1] + t * (to[1] - from[1]),
    ];
    drawDisc(out, width, height, point, halfWidth, colour);
  }
}
