import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BatchSampler } from "../../src/dataset/batch-sampler.js";
import type { EpisodeTable } from "../../src/dataset/episode-table.js";

/** Two episodes of 3 and 2 frames; state and action of frame f hold f (and 10 f). */
function tinyTable(): EpisodeTable {
  const frames = 5;
  return {
    stateDim: 1,
    actionDim: 2,
    state: Float32Array.from({ length: frames }, (_, f) => f),
    action: Float32Array.from(
      { length: frames * 2 },
      (_, i) => (i % 2 === 0 ? 1 : 10) * Math.floor(i / 2),
    ),
    episodeStarts: Uint32Array.from([0, 3, 5]),
    fps: 30,
  };
}

/** Rows of one batch, keyed by the frame in their state. */
function rowsByFrame(batch: ReturnType<BatchSampler["next"]>, chunk: number) {
  const state = batch["observation.state"]!.data;
  const action = batch.action!.data;
  const pad = batch.action_is_pad!.data;
  const rows = new Map<number, { action: number[]; pad: number[] }>();
  for (let row = 0; row < state.length; row++) {
    rows.set(state[row] as number, {
      action: Array.from(action.subarray(row * chunk * 2, (row + 1) * chunk * 2)),
      pad: Array.from(pad.subarray(row * chunk, (row + 1) * chunk)),
    });
  }
  return rows;
}

describe("BatchSampler", () => {
  test("pads chunks past an episode's end with its last action, flagged in action_is_pad", () => {
    const sampler = new BatchSampler(tinyTable(), { batchSize: 5, chunkSize: 3, seed: 3 });
    const rows = rowsByFrame(sampler.next(), 3);

    // Episode 0 is frames 0..2, episode 1 frames 3..4: a chunk never crosses into the next one.
    assert.deepEqual(rows.get(0), { action: [0, 0, 1, 10, 2, 20], pad: [0, 0, 0] });
    assert.deepEqual(rows.get(1), { action: [1, 10, 2, 20, 2, 20], pad: [0, 0, 1] });
    assert.deepEqual(rows.get(2), { action: [2, 20, 2, 20, 2, 20], pad: [0, 1, 1] });
    assert.deepEqual(rows.get(3), { action: [3, 30, 4, 40, 4, 40], pad: [0, 0, 1] });
    assert.deepEqual(rows.get(4), { action: [4, 40, 4, 40, 4, 40], pad: [0, 1, 1] });
  });

  test("draws every frame once per epoch, then reshuffles", () => {
    const sampler = new BatchSampler(tinyTable(), { batchSize: 5, chunkSize: 1, seed: 11 });
    const epochs: number[][] = [];
    for (let epoch = 0; epoch < 4; epoch++) {
      epochs.push(Array.from(sampler.next()["observation.state"]!.data));
    }
    for (const frames of epochs) assert.deepEqual([...frames].sort(), [0, 1, 2, 3, 4]);
    assert.equal(sampler.epoch, 3);
    assert.ok(
      new Set(epochs.map((frames) => frames.join())).size > 1,
      "every epoch came in one order",
    );
  });

  test("gives the same batches for the same seed", () => {
    const draw = (seed: number) => {
      const sampler = new BatchSampler(tinyTable(), { batchSize: 4, chunkSize: 2, seed });
      return [0, 1, 2].map(() => Array.from(sampler.next()["observation.state"]!.data));
    };
    assert.deepEqual(draw(5), draw(5));
    assert.notDeepEqual(draw(5), draw(6));
  });

  test("alternates two buffer sets so a batch in training is never overwritten by the next", () => {
    const sampler = new BatchSampler(tinyTable(), { batchSize: 2, chunkSize: 2, seed: 1 });
    const first = sampler.next();
    const copy = Array.from(first.action!.data);
    const second = sampler.next();
    assert.notEqual(second.action!.data, first.action!.data);
    assert.deepEqual(Array.from(first.action!.data), copy);
    assert.equal(sampler.next().action!.data, first.action!.data);
  });

  test("refuses a table with no frames", () => {
    const empty = {
      ...tinyTable(),
      state: new Float32Array(0),
      action: new Float32Array(0),
      episodeStarts: Uint32Array.from([0]),
    };
    assert.throws(
      () => new BatchSampler(empty, { batchSize: 1, chunkSize: 1, seed: 0 }),
      /no frames/,
    );
  });
});
