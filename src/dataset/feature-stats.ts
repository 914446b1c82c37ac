/**
 * Per-feature statistics as LeRobot keeps them: min, max, mean, std per dimension (per channel
 * for images, in [0, 1]) and the frame count. Episodes' stats merge with count weights.
 */
export interface FeatureStats {
  min: number[];
  max: number[];
  mean: number[];
  std: number[];
  count: number;
}

export type DatasetStats = Record<string, FeatureStats>;

/** Stats of `values` laid out (frames, width). */
export function computeStats(values: ArrayLike<number>, width: number): FeatureStats {
  const frames = values.length / width;
  const sum = new Float64Array(width);
  const squares = new Float64Array(width);
  const min = new Float64Array(width).fill(Number.POSITIVE_INFINITY);
  const max = new Float64Array(width).fill(Number.NEGATIVE_INFINITY);
  for (let frame = 0; frame < frames; frame++) {
    for (let d = 0; d < width; d++) {
      const value = values[frame * width + d] as number;
      sum[d] = (sum[d] as number) + value;
      squares[d] = (squares[d] as number) + value * value;
      if (value < (min[d] as number)) min[d] = value;
      if (value > (max[d] as number)) max[d] = value;
    }
  }
  const mean = Array.from(sum, (total) => total / frames);
  const std = Array.from(squares, (total, d) => {
    const variance = total / frames - (mean[d] as number) ** 2;
    return Math.sqrt(Math.max(variance, 0));
  });
  return { min: Array.from(min), max: Array.from(max), mean, std, count: frames };
}

/** Per-channel stats of `frames` RGB images laid out (pixels, 3), scaled to [0, 1]. */
export function computeImageStats(pixels: Uint8Array, frames: number): FeatureStats {
  const stats = computeStats(pixels, 3);
  const scale = (values: number[]) => values.map((value) => value / 255);
  return {
    min: scale(stats.min),
    max: scale(stats.max),
    mean: scale(stats.mean),
    std: scale(stats.std),
    count: frames,
  };
}

/** Merges episodes' stats: means weighted by count, variances by count around the new mean. */
export function aggregateStats(parts: FeatureStats[]): FeatureStats {
  const first = parts[0];
  if (!first) throw new RangeError("no stats to aggregate");
  const total = parts.reduce((sum, part) => sum + part.count, 0);
  const width = first.mean.length;
  const mean = Array.from(
    { length: width },
    (_, d) => parts.reduce((sum, part) => sum + part.count * (part.mean[d] as number), 0) / total,
  );
  const std = Array.from({ length: width }, (_, d) => {
    const variance =
      parts.reduce((sum, part) => {
        const offset = (part.mean[d] as number) - (mean[d] as number);
        return sum + part.count * ((part.std[d] as number) ** 2 + offset ** 2);
      }, 0) / total;
    return Math.sqrt(variance);
  });
  return {
    min: Array.from({ length: width }, (_, d) =>
      Math.min(...parts.map((part) => part.min[d] as number)),
    ),
    max: Array.from({ length: width }, (_, d) =>
      Math.max(...parts.map((part) => part.max[d] as number)),
    ),
    mean,
    std,
    count: total,
  };
}
