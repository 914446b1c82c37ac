/**
 * The loss curve of a run as a PNG, for the model card: the loss of every step (as in
 * metrics.jsonl) drawn faint, a moving average over it drawn strong, on axes with a light grid
 * and tick labels. The y axis is logarithmic when the loss spans more than a decade. Steps whose
 * loss is not a finite number leave a gap; the same losses always give the same bytes.
 */
import { PlotCanvas, type Rgb } from "./plot-canvas.js";

export interface LossCurveParams {
  /** Loss of step 1, 2, …, in order. */
  losses: Float64Array;
  /** In pixels. @default 800 */
  width?: number;
  /** In pixels. @default 400 */
  height?: number;
}

/** The box the curve is drawn in, in pixels: x grows rightwards, y downwards. */
export interface PlotBox {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

export interface LossCurve {
  png: Buffer;
  plot: PlotBox;
  logScale: boolean;
  /** Steps left out because their loss was NaN or infinite. */
  skippedSteps: number;
  /** Where the point of `step` (1-based) with `loss` lies in the picture. */
  pixelOf(step: number, loss: number): { x: number; y: number };
}

const BACKGROUND: Rgb = [255, 255, 255];
const GRID: Rgb = [232, 232, 232];
const AXIS: Rgb = [70, 70, 70];
const RAW_LOSS: Rgb = [190, 208, 232];
const SMOOTHED_LOSS: Rgb = [25, 80, 160];
const LABEL_SCALE = 2;
const MARGIN = { left: 72, right: 24, top: 28, bottom: 44 };
/** Tick marks wanted per axis; the nice step chosen gives about this many. */
const TICK_TARGET = 5;

/** An axis: the value range it spans (log10 of the loss on a log axis) and where its ticks go. */
interface Axis {
  min: number;
  max: number;
  /** Tick positions, in the same units as min and max. */
  ticks: number[];
  label: (tick: number) => string;
}

export function renderLossCurve(params: LossCurveParams): LossCurve {
  const { losses } = params;
  const canvas = new PlotCanvas(params.width ?? 800, params.height ?? 400, BACKGROUND);
  const plot: PlotBox = {
    left: MARGIN.left,
    top: MARGIN.top,
    right: canvas.width - MARGIN.right,
    bottom: canvas.height - MARGIN.bottom,
  };

  const finite = Array.from(losses).filter(Number.isFinite);
  const logScale = spansDecades(finite);
  const toAxis = logScale ? Math.log10 : (loss: number) => loss;
  const xAxis = stepAxis(losses.length);
  const yAxis = logScale ? logAxis(finite) : linearAxis(finite);

  const pixelOf = (step: number, loss: number) => ({
    x:
      plot.left +
      Math.round(((step - xAxis.min) / (xAxis.max - xAxis.min)) * (plot.right - plot.left)),
    y:
      plot.bottom -
      Math.round(((toAxis(loss) - yAxis.min) / (yAxis.max - yAxis.min)) * (plot.bottom - plot.top)),
  });

  drawGridAndAxes(canvas, plot, xAxis, yAxis);
  drawPolyline(canvas, losses, pixelOf, RAW_LOSS, 1);
  drawPolyline(canvas, movingAverage(losses, toAxis, logScale), pixelOf, SMOOTHED_LOSS, 2);
  return {
    png: canvas.toPng(),
    plot,
    logScale,
    skippedSteps: losses.length - finite.length,
    pixelOf,
  };
}

function spansDecades(finite: number[]): boolean {
  if (finite.length === 0) return false;
  const min = Math.min(...finite);
  return min > 0 && Math.max(...finite) / min > 10;
}

/** Steps 1…n; a single step sits in the middle. */
function stepAxis(steps: number): Axis {
  const [min, max] = steps <= 1 ? [0, 2] : [1, steps];
  const ticks = niceTicks(min, max).filter((tick) => tick >= min && tick <= max);
  return { min, max, ticks, label: formatNumber };
}

function linearAxis(finite: number[]): Axis {
  let min = finite.length === 0 ? 0 : Math.min(...finite);
  let max = finite.length === 0 ? 1 : Math.max(...finite);
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    [min, max] = [min - pad, max + pad];
  }
  const ticks = niceTicks(min, max);
  // The range grows to the ticks around the data, so the top and bottom gridlines are labelled.
  const step = (ticks[1] ?? max) - (ticks[0] ?? min);
  const low = Math.min(ticks[0] ?? min, roundTick(Math.floor(min / step) * step));
  const high = Math.max(ticks.at(-1) ?? max, roundTick(Math.ceil(max / step) * step));
  const all = niceTicks(low, high).filter((tick) => tick >= low && tick <= high);
  return { min: low, max: high, ticks: all, label: formatNumber };
}

/** Whole decades around the data, one tick each; values are log10 of the loss. */
function logAxis(finite: number[]): Axis {
  const min = Math.floor(Math.log10(Math.min(...finite)));
  const max = Math.ceil(Math.log10(Math.max(...finite)));
  const ticks = Array.from({ length: max - min + 1 }, (_, i) => min + i);
  return { min, max, ticks, label: (exponent) => formatNumber(10 ** exponent) };
}

/** Ticks at multiples of 1, 2 or 5 × 10^k covering [min, max], about TICK_TARGET of them. */
function niceTicks(min: number, max: number): number[] {
  const raw = (max - min) / TICK_TARGET;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  const nice = normalized < 1.5 ? 1 : normalized < 3 ? 2 : normalized < 7 ? 5 : 10;
  const step = nice * magnitude;

  const ticks: number[] = [];
  for (let i = Math.ceil(min / step - 1e-9); i * step <= max + step * 1e-9; i++) {
    ticks.push(roundTick(i * step));
  }
  return ticks;
}

/** Drops the float noise of `i * step`, e.g. 0.30000000000000004. */
function roundTick(value: number): number {
  return Number(value.toPrecision(12));
}

/** A tick label the bitmap font can write: `0.25`, `300`, `2k`, `1e-4`. */
function formatNumber(value: number): string {
  const abs = Math.abs(value);
  if (value === 0) return "0";
  if (abs >= 1e6 || abs < 1e-3) {
    const exponent = Math.floor(Math.log10(abs));
    return `${Number((value / 10 ** exponent).toPrecision(2))}e${exponent}`;
  }
  if (abs >= 1000) return `${Number((value / 1000).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

function drawGridAndAxes(canvas: PlotCanvas, plot: PlotBox, xAxis: Axis, yAxis: Axis): void {
  const xOf = (tick: number) =>
    plot.left +
    Math.round(((tick - xAxis.min) / (xAxis.max - xAxis.min)) * (plot.right - plot.left));
  const yOf = (tick: number) =>
    plot.bottom -
    Math.round(((tick - yAxis.min) / (yAxis.max - yAxis.min)) * (plot.bottom - plot.top));

  for (const tick of yAxis.ticks) {
    const y = yOf(tick);
    canvas.line(plot.left, y, plot.right, y, GRID);
    canvas.text(yAxis.label(tick), plot.left - 8, y, AXIS, LABEL_SCALE, "right");
  }
  for (const tick of xAxis.ticks) {
    const x = xOf(tick);
    canvas.line(x, plot.top, x, plot.bottom, GRID);
    canvas.text(xAxis.label(tick), x, plot.bottom + 14, AXIS, LABEL_SCALE, "center");
  }
  canvas.line(plot.left, plot.top, plot.left, plot.bottom, AXIS);
  canvas.line(plot.left, plot.bottom, plot.right, plot.bottom, AXIS);
  canvas.text("loss", plot.left, plot.top - 14, AXIS, LABEL_SCALE, "center");
  canvas.text("step", plot.right, plot.bottom + 32, AXIS, LABEL_SCALE, "right");
}

/** Joins consecutive finite points; a non-finite value breaks the line. */
function drawPolyline(
  canvas: PlotCanvas,
  losses: Float64Array,
  pixelOf: (step: number, loss: number) => { x: number; y: number },
  color: Rgb,
  thickness: number,
): void {
  let previous: { x: number; y: number } | undefined;
  losses.forEach((loss, index) => {
    if (!Number.isFinite(loss)) {
      previous = undefined;
      return;
    }
    const point = pixelOf(index + 1, loss);
    if (previous === undefined) canvas.dot(point.x, point.y, color, thickness);
    else canvas.line(previous.x, previous.y, point.x, point.y, color, thickness);
    previous = point;
  });
}

/**
 * The mean of the finite losses within a window centred on each step (of about a fiftieth of
 * the run, each side), taken on the axis's scale: a geometric mean on a log axis. Steps whose
 * own loss is not finite stay NaN, so the smoothed line has the same gaps as the raw one.
 */
function movingAverage(
  losses: Float64Array,
  toAxis: (loss: number) => number,
  logScale: boolean,
): Float64Array {
  const half = Math.floor(losses.length / 50);
  const sums = new Float64Array(losses.length + 1);
  const counts = new Float64Array(losses.length + 1);
  losses.forEach((loss, i) => {
    const finite = Number.isFinite(loss);
    sums[i + 1] = (sums[i] ?? 0) + (finite ? toAxis(loss) : 0);
    counts[i + 1] = (counts[i] ?? 0) + (finite ? 1 : 0);
  });

  return losses.map((loss, i) => {
    if (!Number.isFinite(loss)) return Number.NaN;
    const from = Math.max(0, i - half);
    const to = Math.min(losses.length, i + half + 1);
    const mean = ((sums[to] ?? 0) - (sums[from] ?? 0)) / ((counts[to] ?? 0) - (counts[from] ?? 0));
    return logScale ? 10 ** mean : mean;
  });
}
