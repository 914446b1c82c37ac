/**
 * ACT's inference path (LeRobot v0.3.3, evaluation mode) as one ONNX graph: normalize the
 * inputs, encode [latent, state, environment state, camera pixels] with the transformer
 * encoder, decode chunk_size queries, project to actions and unnormalize them. The latent is
 * the prior's mean (zero), so the VAE encoder is not in the graph.
 *
 * Inputs are named after the features: `observation.state` (batch, J),
 * `observation.images.<camera>` (batch, 3, H, W) floats in [0, 1],
 * `observation.environment_state` (batch, E); the output `action` is (batch, S, A) in robot
 * units.
 *
 * Legend: B is batch, S chunk size, A action dimension, D model width, L latent width,
 * T encoder tokens, h and w a camera's feature-map size.
 */
import type { NormalizationMode, PolicyFeature } from "../train/addon.js";
import { type LayerContext, linear } from "./act-onnx-layers.js";
import { normalizeFeature } from "./act-onnx-normalize.js";
import { FEATURE_CHANNELS, featureMapSize, resnetBackbone } from "./act-onnx-resnet.js";
import { actDecoder, actEncoder } from "./act-onnx-transformer.js";
import type { PretrainedActConfig } from "./pretrained-config.js";
import { sinusoidalEmbedding2d } from "./sinusoidal-embedding.js";

export const BATCH_DIM = "batch";
export const ACTION_OUTPUT = "action";
const STATE = "observation.state";
const ENV_STATE = "observation.environment_state";

interface Camera {
  key: string;
  feature: PolicyFeature;
}

function camerasOf(config: PretrainedActConfig): Camera[] {
  return Object.entries(config.inputFeatures)
    .filter(([, feature]) => feature.type === "VISUAL")
    .map(([key, feature]) => ({ key, feature }));
}

function modeOf(config: PretrainedActConfig, feature: PolicyFeature): NormalizationMode {
  return config.act.normalization_mapping[feature.type] ?? "IDENTITY";
}

/** Adds ACT's graph to `ctx.graph`: inputs, nodes, initializers and the `action` output. */
export function buildActGraph(ctx: LayerContext, config: PretrainedActConfig): void {
  const { graph } = ctx;
  const dim = config.act.dim_model;

  const normalized = new Map<string, string>();
  for (const [key, feature] of Object.entries(config.inputFeatures)) {
    const input = graph.input(key, [BATCH_DIM, ...feature.shape]);
    const mode = modeOf(config, feature);
    const params = { module: "normalize_inputs", key, feature, mode, inverse: false };
    normalized.set(key, normalizeFeature(ctx, input, params));
  }
  const firstInput = Object.keys(config.inputFeatures)[0] as string;
  const batch = graph.node("Shape", "batch", [firstInput], { start: 0, end: 1 }); // [B]
  const expandTo = (value: string, scope: string, rest: number[]) => {
    const shape = graph.node("Concat", scope, [batch, graph.int64s(`${scope}.dims`, rest)], {
      axis: 0,
    });
    return graph.node("Expand", scope, [value, shape]);
  };

  const { tokens, posRows } = encoderTokens(ctx, config, normalized, expandTo);
  const encoderPos = graph.floats(
    "model.encoder_pos_embed",
    [1, posRows.length / dim, dim],
    posRows,
  );
  const encoderIn = graph.node("Concat", "model.encoder_in", tokens, { axis: 1 }); // (B, T, D)
  const encoderOut = actEncoder(ctx, encoderIn, encoderPos, config.act); // (B, T, D)

  // The decoder's queries are zeros; their position embeddings tell the chunk's steps apart.
  const chunk = config.act.chunk_size;
  const zero = graph.floats("model.decoder_in.zero", [1, 1, 1], [0]);
  const queries = expandTo(zero, "model.decoder_in", [chunk, dim]); // (B, S, D)
  const decoderPos = ctx.weight("model.decoder_pos_embed.weight", [chunk, dim], [1, chunk, dim]);
  const decoderOut = actDecoder(ctx, queries, decoderPos, encoderOut, encoderPos, config.act);

  const action = config.outputFeatures[ACTION_OUTPUT] as PolicyFeature;
  const actionDim = action.shape[0] as number;
  const actions = linear(ctx, decoderOut, "model.action_head", dim, actionDim); // (B, S, A)
  const unnormalized = normalizeFeature(ctx, actions, {
    module: "unnormalize_outputs",
    key: ACTION_OUTPUT,
    feature: action,
    mode: modeOf(config, action),
    inverse: true,
  });
  graph.output(ACTION_OUTPUT, unnormalized, [BATCH_DIM, chunk, actionDim]);
}

type ExpandTo = (value: string, scope: string, rest: number[]) => string;

/**
 * The encoder's tokens, each (B, n, D), in LeRobot's order: latent, state, environment state,
 * then every camera's pixels row-major; and their position embeddings as (T * D) floats: rows
 * of `encoder_1d_feature_pos_embed` for the 1-D tokens, the 2-D sinusoid for each camera.
 */
function encoderTokens(
  ctx: LayerContext,
  config: PretrainedActConfig,
  normalized: Map<string, string>,
  expandTo: ExpandTo,
): { tokens: string[]; posRows: Float32Array } {
  const { graph, weights } = ctx;
  const dim = config.act.dim_model;
  const latentDim = config.act.latent_dim;
  const features = config.inputFeatures;
  const hasState = Object.values(features).some((feature) => feature.type === "STATE");
  const hasEnv = Object.values(features).some((feature) => feature.type === "ENV");
  const oneDim = 1 + (hasState ? 1 : 0) + (hasEnv ? 1 : 0);
  const tokenShape = graph.int64s("model.token_shape", [0, 1, dim]);

  // The latent is zero, so its projection is the bias alone: (1, 1, D), expanded to B.
  weights.tensor("model.encoder_latent_input_proj.weight", [dim, latentDim]);
  const latentBias = ctx.weight("model.encoder_latent_input_proj.bias", [dim], [1, 1, dim]);
  const tokens = [expandTo(latentBias, "model.latent_token", [1, dim])];
  const vectorToken = (key: string, projection: string) => {
    const width = (features[key] as PolicyFeature).shape[0] as number;
    const projected = linear(ctx, normalized.get(key) as string, projection, width, dim);
    return graph.node("Reshape", projection, [projected, tokenShape]); // (B, 1, D)
  };
  if (hasState) tokens.push(vectorToken(STATE, "model.encoder_robot_state_input_proj"));
  if (hasEnv) tokens.push(vectorToken(ENV_STATE, "model.encoder_env_state_input_proj"));

  const pos1d = weights.tensor("model.encoder_1d_feature_pos_embed.weight", [oneDim, dim]);
  const rows: Float32Array[] = [new Float32Array(new Uint8Array(pos1d.bytes).buffer)];
  const cameras = camerasOf(config);
  if (cameras.length > 0) {
    const projection = "model.encoder_img_feat_input_proj";
    const projWeight = ctx.weight(`${projection}.weight`, [dim, FEATURE_CHANNELS, 1, 1]);
    const projBias = ctx.weight(`${projection}.bias`, [dim]);
    const flatten = graph.int64s("model.image_tokens_shape", [0, 0, -1]);
    for (const camera of cameras) {
      const features = resnetBackbone(
        ctx,
        normalized.get(camera.key) as string,
        config.act.vision_backbone,
      ); // (B, 512, h, w)
      const projected = graph.node("Conv", projection, [features, projWeight, projBias], {
        kernel_shape: [1, 1],
      }); // (B, D, h, w)
      const flat = graph.node("Reshape", projection, [projected, flatten]); // (B, D, h*w)
      tokens.push(graph.node("Transpose", projection, [flat], { perm: [0, 2, 1] })); // (B, hw, D)
      const [, height, width] = camera.feature.shape as [number, number, number];
      rows.push(sinusoidalEmbedding2d(featureMapSize(height), featureMapSize(width), dim / 2));
    }
  }

  const posRows = new Float32Array(rows.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of rows) {
    posRows.set(part, offset);
    offset += part.length;
  }
  return { tokens, posRows };
}
