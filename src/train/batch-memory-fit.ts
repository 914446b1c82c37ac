/**
 * The largest batch whose training step fits in device memory, from a step's peak memory
 * measured at two batch sizes. A step's peak grows linearly with the batch: weights, gradients
 * and AdamW's moments are fixed, activations grow per sample, so
 *   peak(B) = fixedBytes + bytesPerSample * B,
 * and the largest B with peak(B) within a safe fraction of the available memory is the fit.
 */

/** The peak memory of one step at one batch size, in bytes. */
export interface MemorySample {
  batchSize: number;
  peakBytes: number;
}

export interface BatchMemoryFit {
  fixedBytes: number;
  bytesPerSample: number;
  /** The share of the available memory a step may use. */
  budgetBytes: number;
  availableBytes: number;
  /** The largest batch within budget; 0 when not even one sample fits. */
  maxBatchSize: number;
}

/**
 * The share of available memory a step is planned to use. The rest is headroom for what the
 * probe does not see: cuDNN choosing algorithms with larger workspaces at the full batch, the
 * caching allocator's rounding and fragmentation, and the optimizer step's temporaries.
 */
export const SAFE_MEMORY_FRACTION = 0.8;

export function fitBatchToMemory(
  samples: readonly [MemorySample, MemorySample],
  availableBytes: number,
  safeFraction = SAFE_MEMORY_FRACTION,
): BatchMemoryFit {
  const [small, large] = [...samples].sort((a, b) => a.batchSize - b.batchSize) as [
    MemorySample,
    MemorySample,
  ];
  if (small.batchSize === large.batchSize || small.batchSize < 1) {
    throw new RangeError(
      `the memory fit needs two different batch sizes of at least 1, got ` +
        `${small.batchSize} and ${large.batchSize}`,
    );
  }
  if (!(safeFraction > 0 && safeFraction <= 1)) {
    throw new RangeError(`the safe memory fraction must be in (0, 1], got ${safeFraction}`);
  }

  // A slope of at least one byte a sample: measured peaks never shrink with the batch, and a
  // flat pair (activations below the allocator's rounding) must not divide by zero.
  const slope = (large.peakBytes - small.peakBytes) / (large.batchSize - small.batchSize);
  const bytesPerSample = Math.max(1, slope);
  const fixedBytes = Math.max(0, large.peakBytes - bytesPerSample * large.batchSize);
  const budgetBytes = Math.floor(availableBytes * safeFraction);
  const maxBatchSize = Math.max(0, Math.floor((budgetBytes - fixedBytes) / bytesPerSample));
  return { fixedBytes, bytesPerSample, budgetBytes, availableBytes, maxBatchSize };
}
