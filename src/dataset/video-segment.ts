/**
 * Where one episode's frames are in a camera's video files. LeRobot v2.x stores one MP4 per
 * episode (the episode starts at 0 s); v3.0 concatenates episodes into shared MP4s and gives
 * each its `from_timestamp` into the file.
 */
export interface VideoSegment {
  episodeIndex: number;
  /** The MP4 holding the episode's frames. */
  path: string;
  /** Seconds into the file where the episode starts: 0 in v2.x, `from_timestamp` in v3.0. */
  fromTimestamp: number;
  /**
   * (frames,) the parquet `timestamp` of each frame of the episode, in seconds from the
   * episode's start; frame i is the video frame at `fromTimestamp + timestamps[i]`.
   */
  timestamps: Float64Array | Float32Array;
}

/** Pixels of one frame of the cache. */
export interface FrameSize {
  width: number;
  height: number;
}
