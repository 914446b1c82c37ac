/**
 * ACT's configuration as LeRobot v0.3.3 names and defaults it, and the `config.json` a
 * `pretrained_model` folder holds, written field for field as LeRobot writes it so that
 * `ACTPolicy.from_pretrained` reads it back.
 */
import type { ActConfig, PolicyFeature } from "./addon.js";

/** LeRobot v0.3.3's ACTConfig defaults, in its declaration order. */
export const ACT_DEFAULTS: ActConfig = {
  n_obs_steps: 1,
  normalization_mapping: { VISUAL: "MEAN_STD", STATE: "MEAN_STD", ACTION: "MEAN_STD" },
  chunk_size: 100,
  n_action_steps: 100,
  vision_backbone: "resnet18",
  pretrained_backbone_weights: "ResNet18_Weights.IMAGENET1K_V1",
  replace_final_stride_with_dilation: false,
  pre_norm: false,
  dim_model: 512,
  n_heads: 8,
  dim_feedforward: 3200,
  feedforward_activation: "relu",
  n_encoder_layers: 4,
  n_decoder_layers: 1,
  use_vae: true,
  latent_dim: 32,
  n_vae_encoder_layers: 4,
  temporal_ensemble_coeff: null,
  dropout: 0.1,
  kl_weight: 10,
  optimizer_lr: 1e-5,
  optimizer_weight_decay: 1e-4,
  optimizer_lr_backbone: 1e-5,
};

/** The ACT fields a job's `training_params` may set. */
export const ACT_CONFIG_KEYS = Object.keys(ACT_DEFAULTS) as (keyof ActConfig)[];

/** ImageNet's per-channel mean and std: LeRobot normalizes camera images with them by default. */
export const IMAGENET_STATS = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };

export interface PolicyFeatures {
  inputFeatures: Record<string, PolicyFeature>;
  outputFeatures: Record<string, PolicyFeature>;
}

/**
 * The `config.json` of a LeRobot v0.3.3 ACT `pretrained_model`: `"type": "act"` first, then
 * PreTrainedConfig's and ACTConfig's fields in declaration order.
 */
export function lerobotActConfigJson(
  config: ActConfig,
  features: PolicyFeatures,
  device: string,
): Record<string, unknown> {
  const { n_obs_steps, normalization_mapping, ...act } = config;
  return {
    type: "act",
    n_obs_steps,
    normalization_mapping,
    input_features: features.inputFeatures,
    output_features: features.outputFeatures,
    device: device.startsWith("cuda") ? "cuda" : "cpu",
    use_amp: false,
    push_to_hub: false,
    repo_id: null,
    private: null,
    tags: null,
    license: null,
    ...act,
  };
}
