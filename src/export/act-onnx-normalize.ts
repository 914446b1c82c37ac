/**
 * LeRobot's normalization as ONNX nodes, from the buffers of a v0.3 state dict
 * (`normalize_inputs.buffer_<key>.*`, `unnormalize_outputs.buffer_action.*`):
 *   MEAN_STD: (x - mean) / (std + 1e-8), inverse x * std + mean;
 *   MIN_MAX:  (x - min) / (max - min + 1e-8) * 2 - 1, inverse (x + 1) / 2 * (max - min) + min;
 *   IDENTITY: x.
 * Image stats are (3, 1, 1) and broadcast over (B, 3, H, W).
 */
import type { NormalizationMode, PolicyFeature } from "../train/addon.js";
import type { LayerContext } from "./act-onnx-layers.js";

export function bufferName(key: string): string {
  return `buffer_${key.replaceAll(".", "_")}`;
}

function statsShape(feature: PolicyFeature): number[] {
  return feature.type === "VISUAL" ? [feature.shape[0] as number, 1, 1] : feature.shape;
}

export interface NormalizeParams {
  /** `normalize_inputs` or `unnormalize_outputs`. */
  module: string;
  key: string;
  feature: PolicyFeature;
  mode: NormalizationMode;
  inverse: boolean;
}

export function normalizeFeature(ctx: LayerContext, x: string, params: NormalizeParams): string {
  if (params.mode === "IDENTITY") return x;
  const { graph } = ctx;
  const prefix = `${params.module}.${bufferName(params.key)}`;
  const shape = statsShape(params.feature);
  const meanStd = params.mode === "MEAN_STD";
  const first = ctx.weight(`${prefix}.${meanStd ? "mean" : "min"}`, shape);
  const second = ctx.weight(`${prefix}.${meanStd ? "std" : "max"}`, shape);
  const eps = () => ctx.scalar("const.normalize_eps", 1e-8);
  const one = () => ctx.scalar("const.one", 1);
  const two = () => ctx.scalar("const.two", 2);
  const node = (op: string, inputs: string[]) => graph.node(op, prefix, inputs);

  if (meanStd) {
    if (params.inverse) return node("Add", [node("Mul", [x, second]), first]);
    return node("Div", [node("Sub", [x, first]), node("Add", [second, eps()])]);
  }
  const range = node("Sub", [second, first]);
  if (params.inverse) {
    const unit = node("Div", [node("Add", [x, one()]), two()]);
    return node("Add", [node("Mul", [unit, range]), first]);
  }
  const unit = node("Div", [node("Sub", [x, first]), node("Add", [range, eps()])]);
  return node("Sub", [node("Mul", [unit, two()]), one()]);
}
