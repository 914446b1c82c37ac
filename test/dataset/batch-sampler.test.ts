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

  test("skips ahead to the batches an uninterrupted run would draw next", () => {
    const params = { batchSize: 3, chunkSize: 2, seed: 9 };
    const uninterrupted = new BatchSampler(tinyTable(), params);
    const states = [0, 1, 2, 3, 4].map(() =>
      Array.from(uninterrupted.next()["observation.state"]!.data),
    );

    // Three batches of three cross two epochs of five frames.
    const resumed = new BatchSampler(tinyTable(), params);
    resumed.skipTo(9);
    assert.equal(resumed.samplesDrawn, 9);
    assert.equal(resumed.epoch, 1);
    assert.deepEqual(Array.from(resumed.next()["observation.state"]!.data), states[3]);
    assert.deepEqual(Array.from(resumed.next()["observation.state"]!.data), states[4]);
    assert.throws(() => resumed.skipTo(3), /cannot skip to sample 3; 15 are drawn already/);
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

  test("hands over each camera's image and the environment state of the sampled frame", () => {
    const table = tinyTable();
    // Camera pixels of frame f all equal f; the environment state of frame f is (f, -f).
    const pixels = Uint8Array.from({ length: 5 * 2 * 3 * 3 }, (_, i) => Math.floor(i / 18));
    const environment = Float32Array.from(
      { length: 10 },
      (_, i) => (i % 2 === 0 ? 1 : -1) * Math.floor(i / 2),
    );
    const sampler = new BatchSampler(
      table,
      { batchSize: 5, chunkSize: 1, seed: 2 },
      {
        environmentState: { values: environment, width: 2 },
        cameras: [{ key: "observation.images.main", pixels, height: 2, width: 3 }],
      },
    );
    const batch = sampler.next();
    assert.deepEqual(batch["observation.images.main"]?.shape, [5, 3, 2, 3]);
    assert.deepEqual(batch["observation.environment_state"]?.shape, [5, 2]);
    const state = batch["observation.state"]!.data;
    const image = batch["observation.images.main"]!.data;
    const env = batch["observation.environment_state"]!.data;
    for (let row = 0; row < 5; row++) {
      const frame = state[row] as number;
      assert.ok(image.subarray(row * 18, (row + 1) * 18).every((value) => value === frame));
      assert.deepEqual(Array.from(env.subarray(row * 2, row * 2 + 2)), [frame, -frame]);
    }
  });

  test("refuses a camera whose frames do not line up with the table", () => {
    const cameras = [
      { key: "observation.images.main", pixels: new Uint8Array(4 * 3), height: 1, width: 1 },
    ];
    assert.throws(
      () => new BatchSampler(tinyTable(), { batchSize: 1, chunkSize: 1, seed: 0 }, { cameras }),
      /camera 'observation\.images\.main' has 4 frames; the table has 5/,
    );
  });

  test("lays each image out channels first, as policies read them", () => {
    // One frame of 1 x 2 pixels: (r, g, b) = (1, 2, 3) and (4, 5, 6).
    const table = {
      ...tinyTable(),
      state: new Float32Array(1),
      action: new Float32Array(2),
      episodeStarts: Uint32Array.from([0, 1]),
    };
    const pixels = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const sampler = new BatchSampler(
      table,
      { batchSize: 1, chunkSize: 1, seed: 0 },
      { cameras: [{ key: "observation.images.main", pixels, height: 1, width: 2 }] },
    );
    assert.deepEqual(
      Array.from(sampler.next()["observation.images.main"]!.data),
      [1, 4, 2, 5, 3, 6],
    );
  });
});
