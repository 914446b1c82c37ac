/**
 * The layers ACT is made of, as ONNX nodes: linear, layer norm, the feed-forward activation and
 * PyTorch's multi-head attention. Weights are read by their LeRobot state-dict names.
 *
 * Legend: B is batch, Q query tokens, K key tokens, D model width, H heads, d = D / H.
 * Token tensors are batch-first, (B, tokens, D); the maths is PyTorch's sequence-first one.
 */

import type { GraphBuilder } from "./onnx-graph.js";
import { DataType } from "./onnx-proto.js";
import type { PolicyWeights } from "./policy-weights.js";

export class LayerContext {
  private readonly initialized = new Map<string, string>();

  constructor(
    readonly graph: GraphBuilder,
    readonly weights: PolicyWeights,
  ) {}

  /** The state-dict tensor `key` (of `shape`) as an initializer, its bytes laid out as `dims`. */
  weight(key: string, shape: number[], dims: number[] = shape): string {
    const cacheKey = `${key}@${dims.join("x")}`;
    const known = this.initialized.get(cacheKey);
    if (known) return known;
    const tensor = this.weights.tensor(key, shape);
    const name = this.graph.initializer(
      dims.join(",") === shape.join(",") ? key : cacheKey,
      DataType.FLOAT,
      dims,
      tensor.bytes,
    );
    this.initialized.set(cacheKey, name);
    return name;
  }

  /** A float32 scalar constant, one per name. */
  scalar(name: string, value: number): string {
    return this.constant(name, [], () => [value]);
  }

  /** A float32 constant computed once per name, however many parts of the graph read it. */
  constant(name: string, dims: number[], values: () => Float32Array | number[]): string {
    const known = this.initialized.get(name);
    if (known) return known;
    const created = this.graph.floats(name, dims, values());
    this.initialized.set(name, created);
    return created;
  }

  /** Rows [from, to) of a state-dict matrix or vector of `shape`: W_q of in_proj_weight, b_q. */
  weightRows(key: string, shape: number[], from: number, to: number, part: string): string {
    const tensor = this.weights.tensor(key, shape);
    const rowBytes = (tensor.bytes.length / (shape[0] ?? 1)) | 0;
    const dims = shape.length === 1 ? [to - from] : [to - from, ...shape.slice(1)];
    const bytes = tensor.bytes.subarray(from * rowBytes, to * rowBytes);
    return this.graph.initializer(`${key}.${part}`, DataType.FLOAT, dims, bytes);
  }
}

/** y = x W^T + b, W (out, in): `<prefix>.weight`, `<prefix>.bias`. x (..., in) -> (..., out). */
export function linear(
  ctx: LayerContext,
  x: string,
  prefix: string,
  inDim: number,
  outDim: number,
): string {
  const weight = ctx.weight(`${prefix}.weight`, [outDim, inDim]);
  const bias = ctx.weight(`${prefix}.bias`, [outDim]);
  return linearWith(ctx, x, prefix, weight, bias);
}

function linearWith(
  ctx: LayerContext,
  x: string,
  scope: string,
  weight: string,
  bias: string,
): string {
  const { graph } = ctx;
  const weightT = graph.node("Transpose", scope, [weight], { perm: [1, 0] }); // (in, out)
  return graph.node("Add", scope, [graph.node("MatMul", scope, [x, weightT]), bias]);
}

/** LayerNorm over the last axis, eps 1e-5 as PyTorch's default. */
export function layerNorm(ctx: LayerContext, x: string, prefix: string, dim: number): string {
  const scale = ctx.weight(`${prefix}.weight`, [dim]);
  const bias = ctx.weight(`${prefix}.bias`, [dim]);
  return ctx.graph.node("LayerNormalization", prefix, [x, scale, bias], {
    axis: -1,
    epsilon: { float: 1e-5 },
  });
}

/** ReLU, or the exact (erf) GELU: x * 0.5 * (1 + erf(x / sqrt(2))), as torch.gelu computes it. */
export function activation(ctx: LayerContext, x: string, scope: string, gelu: boolean): string {
  const { graph } = ctx;
  if (!gelu) return graph.node("Relu", scope, [x]);
  const inverseSqrt2 = ctx.scalar("const.inverse_sqrt2", Math.SQRT1_2);
  const half = ctx.scalar("const.half", 0.5);
  const one = ctx.scalar("const.one", 1);
  const erf = graph.node("Erf", scope, [graph.node("Mul", scope, [x, inverseSqrt2])]);
  const halfX = graph.node("Mul", scope, [x, half]);
  return graph.node("Mul", scope, [halfX, graph.node("Add", scope, [erf, one])]);
}

export interface AttentionShape {
  dim: number;
  heads: number;
}

/**
 * nn.MultiheadAttention without masks: in_proj_weight packs [W_q; W_k; W_v] (3D, D), heads
 * split D contiguously. query (B, Q, D), key and value (B, K, D) -> (B, Q, D).
 */
export function multiheadAttention(
  ctx: LayerContext,
  prefix: string,
  query: string,
  key: string,
  value: string,
  { dim, heads }: AttentionShape,
): string {
  const { graph } = ctx;
  const headDim = dim / heads;
  const packed = [3 * dim, dim];
  const project = (x: string, part: "q" | "k" | "v", index: number): string => {
    const from = index * dim;
    const weight = ctx.weightRows(`${prefix}.in_proj_weight`, packed, from, from + dim, part);
    const bias = ctx.weightRows(`${prefix}.in_proj_bias`, [3 * dim], from, from + dim, part);
    return linearWith(ctx, x, `${prefix}.${part}`, weight, bias); // (B, *, D)
  };
  const splitHeads = graph.int64s(`${prefix}.split_heads`, [0, 0, heads, headDim]);
  const toHeads = (x: string, perm: number[]): string =>
    graph.node("Transpose", prefix, [graph.node("Reshape", prefix, [x, splitHeads])], { perm });

  const q = toHeads(project(query, "q", 0), [0, 2, 1, 3]); // (B, H, Q, d)
  const kT = toHeads(project(key, "k", 1), [0, 2, 3, 1]); // (B, H, d, K)
  const v = toHeads(project(value, "v", 2), [0, 2, 1, 3]); // (B, H, K, d)

  // PyTorch scales the queries, not the scores: q / sqrt(d), then q k^T.
  const sqrtHeadDim = graph.floats(`${prefix}.sqrt_head_dim`, [], [Math.sqrt(headDim)]);
  const scores = graph.node("MatMul", prefix, [graph.node("Div", prefix, [q, sqrtHeadDim]), kT]);
  const weights = graph.node("Softmax", prefix, [scores], { axis: -1 }); // (B, H, Q, K)
  const heads_ = graph.node("MatMul", prefix, [weights, v]); // (B, H, Q, d)
  const mergeHeads = graph.int64s(`${prefix}.merge_heads`, [0, 0, dim]);
  const merged = graph.node("Reshape", prefix, [
    graph.node("Transpose", prefix, [heads_], { perm: [0, 2, 1, 3] }), // (B, Q, H, d)
    mergeHeads,
  ]); // (B, Q, D)
  return linear(ctx, merged, `${prefix}.out_proj`, dim, dim); // (B, Q, D)
}
