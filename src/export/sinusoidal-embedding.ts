/**
 * ACT's 2-D sinusoidal position embedding of a camera's feature map, computed once at export
 * for its fixed size and in float32, step for step as LeRobot computes it, so that the
 * constant in the graph equals the tensor the native model adds.
 *
 * Legend: K the width per axis (D / 2), h and w the feature map's height and width.
 */

/** The embedding as (h * w, 2K) rows: token t = row * w + column; y's K channels, then x's. */
export function sinusoidalEmbedding2d(height: number, width: number, dimension: number) {
  const f = Math.fround;
  const twoPi = f(2 * Math.PI);
  const eps = f(1e-6);
  // Position i = 1..n, scaled to (0, 2 pi]: i / (n + eps) * 2 pi.
  const scaled = (n: number) =>
    Array.from({ length: n }, (_, i) => f(f((i + 1) / f(n + eps)) * twoPi));
  const ys = scaled(height);
  const xs = scaled(width);
  // Frequencies 10000^(2 floor(j/2) / K), shared by each sin/cos pair.
  const inverseFrequency = Array.from({ length: dimension }, (_, j) =>
    f(10000 ** f((2 * Math.floor(j / 2)) / dimension)),
  );
  const wave = (position: number, j: number) => {
    const angle = f(position / (inverseFrequency[j] as number));
    return f(j % 2 === 0 ? Math.sin(angle) : Math.cos(angle));
  };

  const rows = new Float32Array(height * width * 2 * dimension);
  for (let row = 0; row < height; row++) {
    for (let column = 0; column < width; column++) {
      const base = (row * width + column) * 2 * dimension;
      for (let j = 0; j < dimension; j++) {
        rows[base + j] = wave(ys[row] as number, j);
        rows[base + dimension + j] = wave(xs[column] as number, j);
      }
    }
  }
  return rows;
}
