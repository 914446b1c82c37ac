/**
 * Assembles training batches from an episode table into preallocated buffers.
 *
 * Every frame is a sample. The sample at frame t holds `observation.state[t]`, each camera's
 * image t, `observation.environment_state[t]` where the dataset has one, and the chunk
 * `action[t .. t + chunkSize - 1]`; where the chunk runs past its episode the last action
 * repeats and `action_is_pad` is 1, as LeRobot's `delta_timestamps` do. Samples are drawn in a
 * seeded shuffle, reshuffled each epoch.
 *
 * Values are handed over as stored, but for the layout of images: frames are stored
 * (H, W, 3) and policies read (3, H, W), so each image is transposed while it is copied in.
 * Normalization and the uint8-to-float conversion happen inside the policy, on its device.
 *
 * Two buffer sets alternate, so the next batch can be assembled while libtorch still reads the
 * current one: a batch from `next()` stays untouched until the call after the following one.
 */
import type { BatchViews } from "../train/addon.js";
import { type EpisodeTable, frameCount } from "./episode-table.js";
import { type Random, seededRandom, shuffleInPlace } from "./seeded-random.js";

export interface BatchSamplerParams {
  batchSize: number;
  chunkSize: number;
  seed: number;
}

/** Per-frame inputs beside the state, rows aligned with the episode table's frames. */
export interface SampleSources {
  /** (frames, E) */
  environmentState?: { values: Float32Array; width: number };
  /** (frames, H, W, 3) RGB per camera, e.g. a frame cache's pixels. */
  cameras?: { key: string; pixels: Uint8Array; height: number; width: number }[];
}

interface BatchBuffers {
  state: Float32Array; // (B, J)
  action: Float32Array; // (B, S, A)
  actionIsPad: Uint8Array; // (B, S)
  environmentState: Float32Array | undefined; // (B, E)
  images: Uint8Array[]; // per camera (B, 3, H, W)
  views: BatchViews;
}

export class BatchSampler {
  readonly epochSize: number;
  private readonly table: EpisodeTable;
  private readonly params: BatchSamplerParams;
  private readonly sources: SampleSources;
  private readonly episodeEnd: Uint32Array; // (frames): one past the last frame of its episode
  private readonly order: Uint32Array;
  private readonly random: Random;
  private readonly buffers: [BatchBuffers, BatchBuffers];
  private cursor = 0;
  private turn = 0;
  private drawn = 0;
  epoch = 0;

  constructor(table: EpisodeTable, params: BatchSamplerParams, sources: SampleSources = {}) {
    this.table = table;
    this.params = params;
    this.sources = sources;
    this.epochSize = frameCount(table);
    if (this.epochSize === 0) throw new RangeError("the episode table holds no frames");
    for (const camera of sources.cameras ?? []) {
      const rows = camera.pixels.length / (camera.height * camera.width * 3);
      if (rows !== this.epochSize) {
        throw new RangeError(
          `camera '${camera.key}' has ${rows} frames; the table has ${this.epochSize}`,
        );
      }
    }

    this.episodeEnd = new Uint32Array(this.epochSize);
    const starts = table.episodeStarts;
    for (let episode = 0; episode + 1 < starts.length; episode++) {
      this.episodeEnd.fill(starts[episode + 1] as number, starts[episode], starts[episode + 1]);
    }

    this.random = seededRandom(params.seed);
    this.order = shuffleInPlace(
      Uint32Array.from({ length: this.epochSize }, (_, i) => i),
      this.random,
    );
    this.buffers = [this.allocate(), this.allocate()];
  }

  /** The next batch, in buffers reused two calls later. */
  next(): BatchViews {
    const buffers = this.buffers[this.turn] as BatchBuffers;
    this.turn ^= 1;
    for (let row = 0; row < this.params.batchSize; row++) {
      this.fillRow(buffers, row, this.draw());
    }
    return buffers.views;
  }

  /** Samples drawn since construction, those of the batch assembled ahead included. */
  get samplesDrawn(): number {
    return this.drawn;
  }

  /**
   * Draws on without assembling until `samples` have been drawn since construction, so that a
   * resumed run goes on with the very samples the interrupted one would have taken next.
   */
  skipTo(samples: number): void {
    if (!Number.isInteger(samples) || samples < this.drawn) {
      throw new RangeError(`cannot skip to sample ${samples}; ${this.drawn} are drawn already`);
    }
    while (this.drawn < samples) this.draw();
  }

  private draw(): number {
    this.drawn += 1;
    if (this.cursor === this.epochSize) {
      shuffleInPlace(this.order, this.random);
      this.cursor = 0;
      this.epoch += 1;
    }
    return this.order[this.cursor++] as number;
  }

  private fillRow(buffers: BatchBuffers, row: number, frame: number): void {
    const { stateDim, actionDim, state, action } = this.table;
    const { chunkSize } = this.params;
    buffers.state.set(state.subarray(frame * stateDim, (frame + 1) * stateDim), row * stateDim);

    const end = this.episodeEnd[frame] as number;
    const real = Math.min(chunkSize, end - frame);
    const chunkStart = row * chunkSize * actionDim;
    buffers.action.set(action.subarray(frame * actionDim, (frame + real) * actionDim), chunkStart);
    const last = action.subarray((end - 1) * actionDim, end * actionDim);
    for (let k = real; k < chunkSize; k++) buffers.action.set(last, chunkStart + k * actionDim);
    buffers.actionIsPad.fill(0, row * chunkSize, row * chunkSize + real);
    buffers.actionIsPad.fill(1, row * chunkSize + real, (row + 1) * chunkSize);

    const environment = this.sources.environmentState;
    if (environment && buffers.environmentState) {
      const width = environment.width;
      const values = environment.values.subarray(frame * width, (frame + 1) * width);
      buffers.environmentState.set(values, row * width);
    }
    for (const [camera, source] of (this.sources.cameras ?? []).entries()) {
      const pixels = source.height * source.width;
      const image = source.pixels.subarray(frame * pixels * 3, (frame + 1) * pixels * 3);
      transposeToChannelsFirst(
        image,
        buffers.images[camera] as Uint8Array,
        row * pixels * 3,
        pixels,
      );
    }
  }

  private allocate(): BatchBuffers {
    const { batchSize, chunkSize } = this.params;
    const { stateDim, actionDim } = this.table;
    const state = new Float32Array(batchSize * stateDim);
    const action = new Float32Array(batchSize * chunkSize * actionDim);
    const actionIsPad = new Uint8Array(batchSize * chunkSize);
    const views: BatchViews = {
      "observation.state": { data: state, shape: [batchSize, stateDim] },
      action: { data: action, shape: [batchSize, chunkSize, actionDim] },
      action_is_pad: { data: actionIsPad, shape: [batchSize, chunkSize] },
    };

    const environment = this.sources.environmentState;
    const environmentState = environment
      ? new Float32Array(batchSize * environment.width)
      : undefined;
    if (environment && environmentState) {
      views["observation.environment_state"] = {
        data: environmentState,
        shape: [batchSize, environment.width],
      };
    }
    const images = (this.sources.cameras ?? []).map((camera) => {
      const image = new Uint8Array(batchSize * camera.height * camera.width * 3);
      views[camera.key] = { data: image, shape: [batchSize, 3, camera.height, camera.width] };
      return image;
    });
    return { state, action, actionIsPad, environmentState, images, views };
  }
}

/** (H, W, 3) into (3, H, W) at `offset` of `out`; `pixels` is H x W. */
function transposeToChannelsFirst(
  image: Uint8Array,
  out: Uint8Array,
  offset: number,
  pixels: number,
): void {
  const green = offset + pixels;
  const blue = offset + 2 * pixels;
  for (let pixel = 0; pixel < pixels; pixel++) {
    out[offset + pixel] = image[pixel * 3] as number;
    out[green + pixel] = image[pixel * 3 + 1] as number;
    out[blue + pixel] = image[pixel * 3 + 2] as number;
  }
}
