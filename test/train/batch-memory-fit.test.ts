import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { fitBatchToMemory, SAFE_MEMORY_FRACTION } from "../../src/train/batch-memory-fit.js";

const MIB = 1024 * 1024;

describe("fitBatchToMemory", () => {
  test("fits a line through two peaks and takes the largest batch within the safe share", () => {
    // 1000 MiB fixed, 100 MiB a sample: peaks of 1200 MiB at batch 2 and 1800 MiB at batch 8.
    const fit = fitBatchToMemory(
      [
        { batchSize: 2, peakBytes: 1200 * MIB },
        { batchSize: 8, peakBytes: 1800 * MIB },
      ],
      10_000 * MIB,
    );
    assert.equal(fit.bytesPerSample, 100 * MIB);
    assert.equal(fit.fixedBytes, 1000 * MIB);
    assert.equal(fit.budgetBytes, Math.floor(10_000 * MIB * SAFE_MEMORY_FRACTION));
    // 8000 MiB budget: (8000 - 1000) / 100 = 70 samples.
    assert.equal(fit.maxBatchSize, 70);
  });

  test("takes the samples in either order", () => {
    const samples = [
      { batchSize: 8, peakBytes: 1800 * MIB },
      { batchSize: 2, peakBytes: 1200 * MIB },
    ] as const;
    assert.equal(fitBatchToMemory(samples, 10_000 * MIB).maxBatchSize, 70);
  });

  test("rounds down: a batch one sample over the budget is not taken", () => {
    const fit = fitBatchToMemory(
      [
        { batchSize: 1, peakBytes: 300 },
        { batchSize: 3, peakBytes: 500 },
      ],
      1000,
      0.5,
    );
    // 200 fixed + 100 a sample within 500: exactly 3 fit; 3.99 would still be 3.
    assert.equal(fit.maxBatchSize, 3);
  });

  test("gives 0 when not even one sample fits", () => {
    // 800 MiB fixed, 100 MiB a sample, 800 MiB in budget.
    const fit = fitBatchToMemory(
      [
        { batchSize: 2, peakBytes: 1000 * MIB },
        { batchSize: 8, peakBytes: 1600 * MIB },
      ],
      1000 * MIB,
    );
    assert.equal(fit.maxBatchSize, 0);
  });

  test("treats peaks that do not grow as one byte a sample, never dividing by zero", () => {
    const fit = fitBatchToMemory(
      [
        { batchSize: 2, peakBytes: 500 },
        { batchSize: 8, peakBytes: 500 },
      ],
      1000,
      1,
    );
    assert.equal(fit.bytesPerSample, 1);
    assert.equal(fit.maxBatchSize, 508);
  });

  test("refuses two samples of the same batch size, and a fraction outside (0, 1]", () => {
    const same = [
      { batchSize: 4, peakBytes: 1 },
      { batchSize: 4, peakBytes: 2 },
    ] as const;
    assert.throws(() => fitBatchToMemory(same, 10), /two different batch sizes.*got 4 and 4/);
    const samples = [
      { batchSize: 1, peakBytes: 1 },
      { batchSize: 2, peakBytes: 2 },
    ] as const;
    assert.throws(
      () => fitBatchToMemory(samples, 10, 1.5),
      /fraction must be in \(0, 1\], got 1.5/,
    );
  });
});
