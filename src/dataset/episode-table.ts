/**
 * Frames of every episode, laid out contiguously: row f of `state` and `action` is frame f of
 * the dataset, and episode e spans frames `episodeStarts[e] .. episodeStarts[e + 1] - 1`.
 */
export interface EpisodeTable {
  /** J: length of `observation.state`. */
  stateDim: number;
  /** A: length of `action`. */
  actionDim: number;
  /** (frames, J) */
  state: Float32Array;
  /** (frames, A) */
  action: Float32Array;
  /** (episodes + 1): first frame of each episode, then the frame count. */
  episodeStarts: Uint32Array;
  fps: number;
}

export function frameCount(table: EpisodeTable): number {
  return table.episodeStarts[table.episodeStarts.length - 1] ?? 0;
}

export function episodeCount(table: EpisodeTable): number {
  return table.episodeStarts.length - 1;
}
