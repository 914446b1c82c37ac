/**
 * Assembles training batches from an episode table into preallocated buffers.
 *
 * Every frame is a sample. The sample at frame t holds `observation.state[t]` and the chunk
 * `action[t .. t + chunkSize - 1]`; where the chunk runs past its episode the last action
 * repeats and `action_is_pad` is 1, as LeRobot's `delta_timestamps` do. Samples are drawn in a
 * seeded shuffle, reshuffled each epoch.
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

interface BatchBuffers {
  state: Float32Array; // (B, J)
  action: Float32Array; // (B, S, A)
  actionIsPad: Uint8Array; // (B, S)
  views: BatchViews;
}

export class BatchSampler {
  readonly epochSize: number;
  private readonly table: EpisodeTable;
  private readonly params: BatchSamplerParams;
  private readonly episodeEnd: Uint32Array; // (frames): one past the last frame of its episode
  private readonly order: Uint32Array;
  private readonly random: Random;
  private readonly buffers: [BatchBuffers, BatchBuffers];
  private cursor = 0;
  private turn = 0;
  epoch = 0;

  constructor(table: EpisodeTable, params: BatchSamplerParams) {
    this.table = table;
    this.params = params;
    this.epochSize = frameCount(table);
    if (this.epochSize === 0) throw new RangeError("the episode table holds no frames");

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

  private draw(): number {
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
  }

  private allocate(): BatchBuffers {
    const { batchSize, chunkSize } = this.params;
    const { stateDim, actionDim } = this.table;
    const state = new Float32Array(batchSize * stateDim);
    const action = new Float32Array(batchSize * chunkSize * actionDim);
    const actionIsPad = new Uint8Array(batchSize * chunkSize);
    return {
      state,
      action,
      actionIsPad,
      views: {
        "observation.state": { data: state, shape: [batchSize, stateDim] },
        action: { data: action, shape: [batchSize, chunkSize, actionDim] },
        action_is_pad: { data: actionIsPad, shape: [batchSize, chunkSize] },
      },
    };
  }
}
