/**
 * ACT's transformer encoder and decoder as ONNX nodes, post-norm or pre-norm as configured.
 * Position embeddings are added to queries and keys, never to values.
 *
 * Legend: B is batch, T encoder tokens, S chunk size (decoder queries), D model width.
 */
import type { ActConfig } from "../train/addon.js";
import {
  type AttentionShape,
  activation,
  type LayerContext,
  layerNorm,
  linear,
  multiheadAttention,
} from "./act-onnx-layers.js";

type TransformerConfig = Pick<
  ActConfig,
  | "dim_model"
  | "n_heads"
  | "dim_feedforward"
  | "feedforward_activation"
  | "pre_norm"
  | "n_encoder_layers"
  | "n_decoder_layers"
>;

function attentionShape(config: TransformerConfig): AttentionShape {
  return { dim: config.dim_model, heads: config.n_heads };
}

/** linear2(activation(linear1(x))): (B, *, D) -> (B, *, D). */
function feedForward(ctx: LayerContext, x: string, prefix: string, config: TransformerConfig) {
  const hidden = linear(ctx, x, `${prefix}.linear1`, config.dim_model, config.dim_feedforward);
  const activated = activation(ctx, hidden, prefix, config.feedforward_activation === "gelu");
  return linear(ctx, activated, `${prefix}.linear2`, config.dim_feedforward, config.dim_model);
}

/**
 * One residual sub-block: pre-norm x + f(norm(x)); post-norm norm(x + f(x)). The post-norm
 * input is already normalized by the previous sub-block, so `f` always reads `normed`.
 */
function residual(
  ctx: LayerContext,
  x: string,
  norm: string,
  config: TransformerConfig,
  block: (normed: string) => string,
): string {
  const { graph } = ctx;
  const scope = `${norm}.residual`;
  if (config.pre_norm) {
    return graph.node("Add", scope, [x, block(layerNorm(ctx, x, norm, config.dim_model))]);
  }
  return layerNorm(ctx, graph.node("Add", scope, [x, block(x)]), norm, config.dim_model);
}

/** The encoder over its tokens (B, T, D) with their position embeddings (1, T, D). */
export function actEncoder(
  ctx: LayerContext,
  tokens: string,
  posEmbed: string,
  config: TransformerConfig,
): string {
  const { graph } = ctx;
  let x = tokens; // (B, T, D)
  for (let i = 0; i < config.n_encoder_layers; i++) {
    const prefix = `model.encoder.layers.${i}`;
    x = residual(ctx, x, `${prefix}.norm1`, config, (normed) => {
      const q = graph.node("Add", `${prefix}.self_attn`, [normed, posEmbed]); // keys too
      return multiheadAttention(ctx, `${prefix}.self_attn`, q, q, normed, attentionShape(config));
    });
    x = residual(ctx, x, `${prefix}.norm2`, config, (normed) =>
      feedForward(ctx, normed, prefix, config),
    );
  }
  // Only a pre-norm encoder has a final norm; a post-norm one ends normalized already.
  return config.pre_norm ? layerNorm(ctx, x, "model.encoder.norm", config.dim_model) : x;
}

/**
 * The decoder: queries (B, S, D) with `decoderPos` (1, S, D) attend to the encoder output
 * (B, T, D), whose keys carry `encoderPos` (1, T, D). Always ends with `model.decoder.norm`.
 */
export function actDecoder(
  ctx: LayerContext,
  queries: string,
  decoderPos: string,
  encoderOut: string,
  encoderPos: string,
  config: TransformerConfig,
): string {
  const { graph } = ctx;
  const encoderKeys = graph.node("Add", "model.decoder.cross_keys", [encoderOut, encoderPos]);
  let x = queries; // (B, S, D)
  for (let i = 0; i < config.n_decoder_layers; i++) {
    const prefix = `model.decoder.layers.${i}`;
    const shape = attentionShape(config);
    x = residual(ctx, x, `${prefix}.norm1`, config, (normed) => {
      const q = graph.node("Add", `${prefix}.self_attn`, [normed, decoderPos]); // keys too
      return multiheadAttention(ctx, `${prefix}.self_attn`, q, q, normed, shape);
    });
    x = residual(ctx, x, `${prefix}.norm2`, config, (normed) => {
      const q = graph.node("Add", `${prefix}.multihead_attn`, [normed, decoderPos]);
      return multiheadAttention(ctx, `${prefix}.multihead_attn`, q, encoderKeys, encoderOut, shape);
    });
    x = residual(ctx, x, `${prefix}.norm3`, config, (normed) =>
      feedForward(ctx, normed, prefix, config),
    );
  }
  return layerNorm(ctx, x, "model.decoder.norm", config.dim_model); // (B, S, D)
}
