/**
 * Measures what a training step needs in CUDA memory at two small batch sizes and fits the
 * largest batch that fits (batch-memory-fit.ts). CUDA only: on CPU the batch is not capped.
 */
import type { BatchViews, NativeTrainer } from "./addon.js";
import { type BatchMemoryFit, fitBatchToMemory, type MemorySample } from "./batch-memory-fit.js";

/** Small enough to fit beside any model that trains at all, apart enough for a slope. */
export const PROBE_BATCH_SIZES = [2, 8] as const;

export async function probeBatchMemory(
  trainer: NativeTrainer,
  batchOf: (batchSize: number) => BatchViews,
): Promise<BatchMemoryFit> {
  const samples: MemorySample[] = [];
  let availableBytes = 0;
  for (const batchSize of PROBE_BATCH_SIZES) {
    const memory = await trainer.measureStepMemory(batchOf(batchSize));
    // Before the first step AdamW's moments are not allocated yet; a step will hold them.
    samples.push({ batchSize, peakBytes: memory.peakBytes + memory.optimizerStateBytes });
    availableBytes = memory.availableBytes;
  }
  return fitBatchToMemory(samples as [MemorySample, MemorySample], availableBytes);
}
