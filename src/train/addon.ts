/**
 * The native training core, typed. The addon is built by `npm run build:native` into
 * build/Release/robotrain.node; `ROBOTRAIN_ADDON` points elsewhere (a GPU box's own build).
 */
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { AddonLoadError } from "../errors.js";

/** One named batch entry: a view handed to libtorch without a copy. */
export interface TensorView {
  data: Float32Array | Uint8Array;
  shape: number[];
}

/** Batch entries by dataset feature name: `observation.state` (B, J), `action` (B, S, A), … */
export type BatchViews = Record<string, TensorView>;

/**
 * "auto": bf16 autocast on a CUDA device that supports it (compute capability 8.0+), float32
 * elsewhere; "fp32"; "bf16" (CUDA only). Weights, gradients, the loss, clipping and AdamW stay
 * float32 in every precision.
 */
export type Precision = "auto" | "fp32" | "bf16";

/** The MLP policy: an action chunk from the robot state alone (the default policy). */
export interface MlpTrainerConfig {
  policy?: "mlp";
  stateDim: number;
  actionDim: number;
  chunkSize: number;
  hiddenDim?: number;
  /** @default 1e-3 */
  lr?: number;
  /** @default 1e-4 */
  weightDecay?: number;
  /** @default 10 */
  gradClipNorm?: number;
  seed?: number;
  /** "auto", "cpu", "cuda" or "cuda:<index>". @default "auto" */
  device?: string;
  /** Precision of the forward passes; see Precision. @default "auto" */
  precision?: Precision;
}

/** LeRobot's FeatureType, as ACT reads it. */
export type FeatureType = "VISUAL" | "STATE" | "ENV" | "ACTION";
/** LeRobot's NormalizationMode. */
export type NormalizationMode = "MEAN_STD" | "MIN_MAX" | "IDENTITY";

/** A policy input or output, as in a LeRobot `config.json`'s `input_features`. */
export interface PolicyFeature {
  type: FeatureType;
  /** VISUAL: [3, H, W]; STATE, ENV, ACTION: [dim]. */
  shape: number[];
}

/**
 * LeRobot v0.3.3's ACTConfig fields, by their snake_case names; each defaults to LeRobot's
 * value. The features are given beside it (`inputFeatures`, `outputFeatures`).
 */
export interface ActConfig {
  /** @default 1 (the only value ACT supports) */
  n_obs_steps: number;
  /** @default { VISUAL: "MEAN_STD", STATE: "MEAN_STD", ACTION: "MEAN_STD" } */
  normalization_mapping: Partial<Record<FeatureType, NormalizationMode>>;
  /** @default 100 */
  chunk_size: number;
  /** @default 100 */
  n_action_steps: number;
  /** "resnet18" or "resnet34". @default "resnet18" */
  vision_backbone: string;
  /**
   * The torchvision ImageNet weights the backbone starts from, recorded in `config.json` as
   * LeRobot records them. The native core fetches nothing: a new trainer's backbone is random
   * until loadBackboneSafetensors puts the weights in (robotrain's job setup does).
   * @default "ResNet18_Weights.IMAGENET1K_V1"
   */
  pretrained_backbone_weights: string | null;
  /** @default false (true cannot be built for resnet18/34, as in torchvision) */
  replace_final_stride_with_dilation: boolean;
  /** @default false */
  pre_norm: boolean;
  /** @default 512 */
  dim_model: number;
  /** @default 8 */
  n_heads: number;
  /** @default 3200 */
  dim_feedforward: number;
  /** "relu" or "gelu". @default "relu" */
  feedforward_activation: string;
  /** @default 4 */
  n_encoder_layers: number;
  /** @default 1 */
  n_decoder_layers: number;
  /** @default true */
  use_vae: boolean;
  /** @default 32 */
  latent_dim: number;
  /** @default 4 */
  n_vae_encoder_layers: number;
  /** @default null */
  temporal_ensemble_coeff: number | null;
  /** @default 0.1 */
  dropout: number;
  /** @default 10 */
  kl_weight: number;
  /** The lr when the trainer config gives none. @default 1e-5 */
  optimizer_lr: number;
  /** The weight decay when the trainer config gives none. @default 1e-4 */
  optimizer_weight_decay: number;
  /** The backbone's lr when the trainer config gives none. @default 1e-5 */
  optimizer_lr_backbone: number;
}

/** Dataset statistics of one feature; images give one value per channel. */
export type FeatureStats = Partial<
  Record<"mean" | "std" | "min" | "max", number[] | Float32Array | Float64Array>
>;

/** ACT as LeRobot v0.3.3 builds it; its state dict is LeRobot's. */
export interface ActTrainerConfig {
  policy: "act";
  act?: Partial<ActConfig>;
  /** The camera order is the order of the VISUAL entries here. */
  inputFeatures: Record<string, PolicyFeature>;
  outputFeatures: Record<string, PolicyFeature>;
  /** Normalization statistics by feature key; without them, load a state dict before use. */
  stats?: Record<string, FeatureStats>;
  /** Learning rate of every parameter outside the backbone. @default act.optimizer_lr */
  lr?: number;
  /** Learning rate of `model.backbone.*`. @default act.optimizer_lr_backbone */
  lrBackbone?: number;
  /** AdamW weight decay of both groups. @default act.optimizer_weight_decay */
  weightDecay?: number;
  /** @default 10 */
  gradClipNorm?: number;
  seed?: number;
  /** "auto", "cpu", "cuda" or "cuda:<index>". @default "auto" */
  device?: string;
  /** Precision of the forward passes; see Precision. @default "auto" */
  precision?: Precision;
}

export type TrainerConfig = MlpTrainerConfig | ActTrainerConfig;

export interface StepResult {
  /** Optimizer updates done, this one included. */
  step: number;
  loss: number;
  l1Loss: number;
  /** ACT's KL divergence of the latent (before kl_weight); null for policies without a VAE. */
  kldLoss: number | null;
  /** Total gradient norm before clipping. */
  gradNorm: number;
}

/** Memory of one forward and backward pass on CUDA (measureStepMemory), in bytes. */
export interface StepMemory {
  /** Peak allocated during the pass: weights, gradients and activations. */
  peakBytes: number;
  /** AdamW's two moments, not allocated before the first step (0 after it). */
  optimizerStateBytes: number;
  /** What a step may use: free device memory plus what the caching allocator already holds. */
  availableBytes: number;
  totalBytes: number;
}

/** The CUDA caching allocator's figures for one device, and the device's free memory, in bytes. */
export interface CudaMemory {
  allocatedBytes: number;
  reservedBytes: number;
  peakAllocatedBytes: number;
  peakReservedBytes: number;
  freeBytes: number;
  totalBytes: number;
}

/** A float32 tensor copied out of the addon. */
export type FloatTensor = TensorView & { data: Float32Array };

export interface TraceOptions {
  /** Dropout as in training (true) or off, as LeRobot's golden reference ran. @default false */
  dropout?: boolean;
  /** Parameters whose full gradients come back as `train.grad.<name>`. */
  gradients?: string[];
}

export interface ParamGroup {
  /** "policy" (at lr) or "backbone" (at lrBackbone). */
  name: "policy" | "backbone";
  lr: number;
  weightDecay: number;
  /** State-dict names of the group's parameters. */
  parameters: string[];
}

export interface NativeTrainer {
  /**
   * Runs forward, backward and one AdamW update on the libuv thread pool. The batch's arrays
   * must not be written until the promise settles: libtorch reads them in place.
   *
   * ACT batches: `observation.images.<camera>` (B, 3, H, W) Float32Array in [0, 1] or
   * Uint8Array in [0, 255], `observation.state` (B, J), `observation.environment_state`
   * (B, E), `action` (B, chunk_size, A), `action_is_pad` (B, chunk_size) Uint8Array (1 = padded;
   * optional, none padded when absent) and optionally `vae_eps` (B, latent_dim): the VAE's
   * reparameterisation noise, drawn from N(0, 1) when absent.
   */
  step(batch: BatchViews): Promise<StepResult>;
  /** The action chunk (B, chunk_size, A) in robot units, in evaluation mode (ACT: latent 0). */
  predict(batch: BatchViews): Promise<FloatTensor>;
  /**
   * Computes the training loss and its gradients (training mode, weights unchanged) and the
   * inference path, and returns named intermediates as the golden fixture names them
   * (`inference.*`, `train.*`, `train.grad_norm.<parameter>`, `train.grad_norm_total`).
   */
  trace(batch: BatchViews, options?: TraceOptions): Promise<Record<string, FloatTensor>>;
  /**
   * Runs forward and backward on a batch (once to warm up, then measured) without changing the
   * weights, and returns the measured pass's peak memory. CUDA only: rejects on CPU.
   */
  measureStepMemory(batch: BatchViews): Promise<StepMemory>;
  /** Replaces the state dict from a safetensors file; strict: every key, every shape. */
  loadSafetensors(path: string): Promise<void>;
  /**
   * Replaces the vision backbone's weights (`model.backbone.*`) with an ImageNet classifier's
   * from a safetensors file under torchvision's ResNet names (`conv1.weight`, `bn1.*`,
   * `layer1.0.conv1.weight`, ...); its `fc.*` and `num_batches_tracked` are passed over.
   */
  loadBackboneSafetensors(path: string): Promise<void>;
  /** Writes the full state dict (parameters and buffers), `__metadata__` {format: "pt"}. */
  saveSafetensors(path: string): Promise<void>;
  /**
   * Writes the AdamW moments, the step count and the random generators' state into `dir`, in
   * LeRobot's `training_state/` layout (training_step.json, optimizer_state.safetensors,
   * optimizer_param_groups.json, rng_state.safetensors).
   */
  saveTrainingState(dir: string): Promise<void>;
  /**
   * Restores what saveTrainingState wrote, into a trainer of the same config, and resolves to
   * the restored step count. Refused, changing nothing, when the state is of another config.
   */
  loadTrainingState(dir: string): Promise<number>;
  /** Parameters and buffers by name, copied to float32 host memory. */
  stateDict(): Record<string, FloatTensor>;
  /** The AdamW parameter groups, as built. */
  readonly paramGroups: ParamGroup[];
  readonly device: string;
  /** Why training runs on CPU although CUDA was wanted or possible; null when it did not fall back. */
  readonly deviceFallback: string | null;
  /** The precision forward passes run in, as chosen from the config's `precision`. */
  readonly precision: "fp32" | "bf16";
  /** Why "auto" runs fp32 on a CUDA device (one without bf16); null when it did not fall back. */
  readonly precisionFallback: string | null;
  /** Values in the parameters (buffers not counted). */
  readonly parameterCount: number;
  readonly stepsDone: number;
}

export interface LibtorchInfo {
  version: string;
  /** The libtorch shared library the addon loaded, when the loader can tell. */
  library: string | null;
  builtWithCuda: boolean;
  cudaAvailable: boolean;
  cudaDevices: string[];
  threads: number;
}

interface Addon {
  Trainer: new (config: TrainerConfig) => NativeTrainer;
  libtorchInfo(): LibtorchInfo;
  /** Waits for the device, then reads its memory; throws for a CPU device. */
  cudaMemory(device: string): CudaMemory;
}

export const DEFAULT_ADDON_PATH = fileURLToPath(
  new URL("../../../build/Release/robotrain.node", import.meta.url),
);

let loaded: Addon | undefined;

export function loadAddon(): Addon {
  if (loaded) return loaded;
  const path = process.env.ROBOTRAIN_ADDON ?? DEFAULT_ADDON_PATH;
  try {
    loaded = createRequire(import.meta.url)(path) as Addon;
  } catch (error) {
    throw new AddonLoadError(path, error);
  }
  return loaded;
}

export function createTrainer(config: TrainerConfig): NativeTrainer {
  return new (loadAddon().Trainer)(config);
}
