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

export interface TrainerConfig {
  stateDim: number;
  actionDim: number;
  chunkSize: number;
  hiddenDim?: number;
  lr?: number;
  weightDecay?: number;
  gradClipNorm?: number;
  seed?: number;
  device?: string;
}

export interface StepResult {
  /** Optimizer updates done, this one included. */
  step: number;
  loss: number;
  l1Loss: number;
  /** Total gradient norm before clipping. */
  gradNorm: number;
}

export interface NativeTrainer {
  /**
   * Runs forward, backward and one AdamW update on the libuv thread pool. The batch's arrays
   * must not be written until the promise settles: libtorch reads them in place.
   */
  step(batch: BatchViews): Promise<StepResult>;
  /** Parameters by name, copied to float32 host memory. */
  stateDict(): Record<string, TensorView & { data: Float32Array }>;
  readonly device: string;
  /** Why training runs on CPU although CUDA was wanted or possible; null when it did not fall back. */
  readonly deviceFallback: string | null;
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
