/**
 * ACT's vision backbone as ONNX nodes: torchvision's ResNet-18 or ResNet-34 up to layer4, with
 * frozen batch norm folded into one scale and one shift per channel at export time.
 *
 * Legend: B is batch, C channels, H and W the image's height and width (h and w after the
 * backbone's stride of 32).
 */
import { floatsOf } from "../safetensors/read-safetensors.js";
import type { LayerContext } from "./act-onnx-layers.js";

/** Basic blocks per stage, as torchvision builds each backbone. */
const BLOCKS: Record<string, number[]> = { resnet18: [2, 2, 2, 2], resnet34: [3, 4, 6, 3] };
const STAGE_CHANNELS = [64, 128, 256, 512];
export const FEATURE_CHANNELS = 512;
const PREFIX = "model.backbone";

export function backboneBlocks(name: string): number[] | undefined {
  return BLOCKS[name];
}

/** The size of layer4's feature map for an image side of `size` pixels. */
export function featureMapSize(size: number): number {
  const out = (n: number, kernel: number, stride: number, padding: number) =>
    Math.floor((n + 2 * padding - kernel) / stride) + 1;
  let n = out(size, 7, 2, 3); // conv1
  n = out(n, 3, 2, 1); // max pool
  for (let stage = 1; stage < 4; stage++) n = out(n, 3, 2, 1); // layer2..4 stride 2
  return n;
}

function conv(
  ctx: LayerContext,
  x: string,
  key: string,
  [outC, inC, kernel]: [number, number, number],
  stride: number,
  padding: number,
): string {
  const weight = ctx.weight(key, [outC, inC, kernel, kernel]);
  return ctx.graph.node("Conv", key, [x, weight], {
    kernel_shape: [kernel, kernel],
    strides: [stride, stride],
    pads: [padding, padding, padding, padding],
  });
}

/**
 * FrozenBatchNorm2d: x * scale + shift, scale = weight * rsqrt(running_var + 1e-5),
 * shift = bias - running_mean * scale, computed in float32 as torchvision does.
 */
function frozenBatchNorm(ctx: LayerContext, x: string, prefix: string, channels: number) {
  const dims = [1, channels, 1, 1];
  let computed: { scale: Float32Array; shift: Float32Array } | undefined;
  const folded = () => {
    computed ??= foldFrozenBatchNorm(ctx, prefix, channels);
    return computed;
  };
  const scale = ctx.constant(`${prefix}.scale`, dims, () => folded().scale);
  const shift = ctx.constant(`${prefix}.shift`, dims, () => folded().shift);
  const { graph } = ctx;
  return graph.node("Add", prefix, [graph.node("Mul", prefix, [x, scale]), shift]);
}

function foldFrozenBatchNorm(ctx: LayerContext, prefix: string, channels: number) {
  const read = (stat: string) =>
    floatsOf(`${prefix}.${stat}`, ctx.weights.tensor(`${prefix}.${stat}`, [channels]));
  const [weight, bias, mean, variance] = ["weight", "bias", "running_mean", "running_var"].map(
    read,
  ) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const scale = new Float32Array(channels);
  const shift = new Float32Array(channels);
  const f = Math.fround;
  for (let c = 0; c < channels; c++) {
    scale[c] = f((weight[c] as number) * f(1 / f(Math.sqrt(f((variance[c] as number) + 1e-5)))));
    shift[c] = f((bias[c] as number) - f((mean[c] as number) * (scale[c] as number)));
  }
  return { scale, shift };
}

function basicBlock(
  ctx: LayerContext,
  x: string,
  prefix: string,
  inC: number,
  channels: number,
  stride: number,
): string {
  const { graph } = ctx;
  let out = conv(ctx, x, `${prefix}.conv1.weight`, [channels, inC, 3], stride, 1);
  out = graph.node("Relu", prefix, [frozenBatchNorm(ctx, out, `${prefix}.bn1`, channels)]);
  out = conv(ctx, out, `${prefix}.conv2.weight`, [channels, channels, 3], 1, 1);
  out = frozenBatchNorm(ctx, out, `${prefix}.bn2`, channels); // (B, C, H', W')
  let identity = x;
  if (stride !== 1 || inC !== channels) {
    identity = conv(ctx, x, `${prefix}.downsample.0.weight`, [channels, inC, 1], stride, 0);
    identity = frozenBatchNorm(ctx, identity, `${prefix}.downsample.1`, channels);
  }
  return graph.node("Relu", prefix, [graph.node("Add", prefix, [out, identity])]);
}

/** image (B, 3, H, W), normalized -> layer4's feature map (B, 512, h, w). */
export function resnetBackbone(ctx: LayerContext, image: string, name: string): string {
  const blocks = BLOCKS[name];
  if (!blocks) throw new RangeError(`vision_backbone '${name}' is not resnet18 or resnet34`);
  const { graph } = ctx;
  let x = conv(ctx, image, `${PREFIX}.conv1.weight`, [64, 3, 7], 2, 3); // (B, 64, H/2, W/2)
  x = graph.node("Relu", PREFIX, [frozenBatchNorm(ctx, x, `${PREFIX}.bn1`, 64)]);
  x = graph.node("MaxPool", PREFIX, [x], {
    kernel_shape: [3, 3],
    strides: [2, 2],
    pads: [1, 1, 1, 1],
  }); // (B, 64, H/4, W/4)
  let inC = 64;
  for (let stage = 0; stage < 4; stage++) {
    const channels = STAGE_CHANNELS[stage] as number;
    for (let block = 0; block < (blocks[stage] as number); block++) {
      const stride = stage > 0 && block === 0 ? 2 : 1;
      x = basicBlock(ctx, x, `${PREFIX}.layer${stage + 1}.${block}`, inC, channels, stride);
      inC = channels;
    }
  }
  return x; // (B, 512, h, w)
}
