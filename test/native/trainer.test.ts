import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { type BatchViews, createTrainer, loadAddon } from "../../src/train/addon.js";

const STATE_DIM = 4;
const ACTION_DIM = 2;
const CHUNK = 3;

/** A batch whose actions are a fixed linear function of the state: learnable in few steps. */
function linearBatch(batchSize: number, seed = 1): BatchViews {
  let state = seed;
  const random = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const observation = Float32Array.from({ length: batchSize * STATE_DIM }, random);
  const action = new Float32Array(batchSize * CHUNK * ACTION_DIM);
  for (let b = 0; b < batchSize; b++) {
    for (let k = 0; k < CHUNK * ACTION_DIM; k++) {
      action[b * CHUNK * ACTION_DIM + k] =
        2 * (observation[b * STATE_DIM + (k % STATE_DIM)] as number) - 1;
    }
  }
  return {
    "observation.state": { data: observation, shape: [batchSize, STATE_DIM] },
    action: { data: action, shape: [batchSize, CHUNK, ACTION_DIM] },
  };
}

const smallConfig = {
  stateDim: STATE_DIM,
  actionDim: ACTION_DIM,
  chunkSize: CHUNK,
  hiddenDim: 32,
  lr: 1e-2,
  seed: 7,
  device: "cpu",
};

describe("native Trainer", () => {
  test("lowers the loss on a batch it trains on", async () => {
    const trainer = createTrainer(smallConfig);
    const batch = linearBatch(32);
    const first = await trainer.step(batch);
    let last = first;
    for (let i = 0; i < 150; i++) last = await trainer.step(batch);
    assert.equal(last.step, 151);
    assert.equal(trainer.stepsDone, 151);
    assert.ok(last.loss < first.loss * 0.3, `loss went from ${first.loss} to ${last.loss}`);
  });

  test("repeats the same losses for the same seed", async () => {
    const losses = async () => {
      const trainer = createTrainer(smallConfig);
      const batch = linearBatch(16);
      const seen: number[] = [];
      for (let i = 0; i < 5; i++) seen.push((await trainer.step(batch)).loss);
      return seen;
    };
    // Same seed, same batch, same single-threaded CPU kernels: bit-identical.
    assert.deepEqual(await losses(), await losses());
  });

  test("counts padded actions as zero error", async () => {
    const trainer = createTrainer(smallConfig);
    const batch = linearBatch(8);
    const allPadded = new Uint8Array(8 * CHUNK).fill(1);
    const result = await trainer.step({
      ...batch,
      action_is_pad: { data: allPadded, shape: [8, CHUNK] },
    });
    assert.equal(result.loss, 0);
    assert.equal(result.gradNorm, 0);
  });

  test("keeps the event loop turning while a long step runs", async () => {
    const trainer = createTrainer({ ...smallConfig, hiddenDim: 1024 });
    const batch = linearBatch(1024);
    await trainer.step(batch); // warm-up: allocations and first-touch

    let ticks = 0;
    const interval = setInterval(() => {
      ticks += 1;
    }, 5);
    const started = performance.now();
    let steps = 0;
    while (performance.now() - started < 400) {
      await trainer.step(batch);
      steps += 1;
    }
    const elapsedMs = performance.now() - started;
    clearInterval(interval);

    // A step that blocked the loop would let at most one tick through per step. On a loaded
    // two-core machine timers run late, so ask for a third of the ideal count.
    const expected = elapsedMs / 5;
    assert.ok(ticks > steps + 2, `only ${ticks} ticks during ${steps} steps`);
    assert.ok(ticks >= expected / 3, `${ticks} ticks in ${Math.round(elapsedMs)} ms of steps`);
  });

  test("rejects a batch whose shape does not fit the policy, with libtorch's message", async () => {
    const trainer = createTrainer(smallConfig);
    const batch = linearBatch(4);
    const wrong = { ...batch, action: { data: batch.action!.data, shape: [4, ACTION_DIM, CHUNK] } };
    await assert.rejects(trainer.step(wrong), (error: Error) => {
      assert.match(error.message, /batch 'action' has shape \[4, 2, 3\]; expected \[4, 3, 2\]/);
      assert.doesNotMatch(error.message, /Exception raised from/); // no C++ backtrace
      return true;
    });
    // The trainer survives a bad batch and trains on.
    assert.equal((await trainer.step(batch)).step, 1);
  });

  test("rejects a batch without an action", async () => {
    const trainer = createTrainer(smallConfig);
    const { action: _action, ...stateOnly } = linearBatch(4);
    await assert.rejects(trainer.step(stateOnly), /batch has no 'action'/);
  });

  test("throws when an array holds fewer values than its shape says", () => {
    const trainer = createTrainer(smallConfig);
    const batch = linearBatch(4);
    const short = {
      ...batch,
      "observation.state": { data: new Float32Array(3), shape: [4, STATE_DIM] },
    };
    assert.throws(() => trainer.step(short), /shape \[4, 4\] \(16 values\) but its array holds 3/);
  });

  test("throws for an array type it cannot view", () => {
    const trainer = createTrainer(smallConfig);
    const batch = { ...linearBatch(4), extra: { data: new Float64Array(4), shape: [4] } };
    assert.throws(() => trainer.step(batch as unknown as BatchViews), /Float32Array or Uint8Array/);
  });

  test("refuses a second step while one runs", async () => {
    const trainer = createTrainer(smallConfig);
    const batch = linearBatch(8);
    const first = trainer.step(batch);
    assert.throws(() => trainer.step(batch), /another step of this trainer runs/);
    await first;
    await trainer.step(batch);
  });

  test("rejects a config that cannot train, naming the field", () => {
    assert.throws(
      () => createTrainer({ ...smallConfig, stateDim: 0 }),
      /state_dim must be positive, got 0/,
    );
    assert.throws(() => createTrainer({ ...smallConfig, lr: -1 }), /lr must be positive/);
    assert.throws(
      () => createTrainer({ ...smallConfig, device: "tpu" }),
      /device 'tpu' is not one of/,
    );
  });

  test("names and copies its parameters in stateDict", () => {
    const trainer = createTrainer(smallConfig);
    const tensors = trainer.stateDict();
    assert.deepEqual(Object.keys(tensors), [
      "net.0.weight",
      "net.0.bias",
      "net.2.weight",
      "net.2.bias",
      "net.4.weight",
      "net.4.bias",
    ]);
    assert.deepEqual(tensors["net.0.weight"]?.shape, [32, STATE_DIM]);
    assert.deepEqual(tensors["net.4.weight"]?.shape, [CHUNK * ACTION_DIM, 32]);
    const total = Object.values(tensors).reduce((sum, tensor) => sum + tensor.data.length, 0);
    assert.equal(total, trainer.parameterCount);
  });

  test("reports the device it chose and why it fell back", (context) => {
    const info = loadAddon().libtorchInfo();
    const trainer = createTrainer({ ...smallConfig, device: "auto" });
    if (info.cudaAvailable) {
      assert.match(trainer.device, /^cuda:0/);
      assert.equal(trainer.deviceFallback, null);
      context.diagnostic("CUDA present: the cpu fall-back path is not reached here");
      return;
    }
    assert.equal(trainer.device, "cpu");
    assert.match(trainer.deviceFallback ?? "", /without CUDA|sees no CUDA device/);
  });

  test("refuses device cuda when libtorch sees no CUDA device", (context) => {
    if (loadAddon().libtorchInfo().cudaAvailable) {
      context.skip("this machine has CUDA");
      return;
    }
    assert.throws(
      () => createTrainer({ ...smallConfig, device: "cuda" }),
      /sees no CUDA device; use device 'auto' or 'cpu'/,
    );
  });

  test("trains on CUDA when libtorch sees a device", async (context) => {
    if (!loadAddon().libtorchInfo().cudaAvailable) {
      context.skip("no CUDA device visible to libtorch");
      return;
    }
    const trainer = createTrainer({ ...smallConfig, device: "cuda" });
    const batch = linearBatch(32);
    const first = await trainer.step(batch);
    let last = first;
    for (let i = 0; i < 150; i++) last = await trainer.step(batch);
    assert.ok(last.loss < first.loss * 0.3, `loss went from ${first.loss} to ${last.loss}`);
  });
});

describe("libtorchInfo", () => {
  test("names the libtorch version and the library it loaded", () => {
    const info = loadAddon().libtorchInfo();
    assert.match(info.version, /^\d+\.\d+\.\d+/);
    assert.ok(
      info.library === null || /libtorch|libc10|libtorch_cpu/.test(info.library),
      String(info.library),
    );
    assert.equal(typeof info.cudaAvailable, "boolean");
  });
});
