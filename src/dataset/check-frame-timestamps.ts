/**
 * The check that makes a frame cache trustworthy: row i of an episode holds the video frame
 * whose own timestamp (its pts, as the decoder reports it) is the dataset's timestamp of
 * frame i, within a tolerance. A video encoded at another fps, with dropped or duplicated
 * frames, or cut at the wrong place fails here rather than training on misaligned images.
 */

import { FrameTimestampError, VideoTooShortError } from "./video-errors.js";
import type { VideoSegment } from "./video-segment.js";

export interface CheckFrameTimestampsParams {
  dataset: string;
  segment: VideoSegment;
  /** (decoded frames,) seconds into the file of each frame decoded for the episode, in order. */
  videoTimestamps: Float64Array;
  /** Largest accepted |video - dataset| difference, in seconds. */
  toleranceS: number;
}

/** Throws FrameTimestampError at the first frame off by more than the tolerance, and
 * VideoTooShortError when fewer frames were decoded than the episode has. */
export function checkFrameTimestamps(params: CheckFrameTimestampsParams): void {
  const { segment, videoTimestamps, toleranceS } = params;
  const context = {
    dataset: params.dataset,
    episodeIndex: segment.episodeIndex,
    videoPath: segment.path,
  };
  const episodeFrames = segment.timestamps.length;
  const expectedAt = (frameIndex: number) =>
    segment.fromTimestamp + (segment.timestamps[frameIndex] as number);

  const checked = Math.min(episodeFrames, videoTimestamps.length);
  for (let frameIndex = 0; frameIndex < checked; frameIndex++) {
    const expectedTimestamp = expectedAt(frameIndex);
    const videoTimestamp = videoTimestamps[frameIndex] as number;
    // Written as !(a <= b) so that a NaN timestamp fails too.
    if (!(Math.abs(videoTimestamp - expectedTimestamp) <= toleranceS)) {
      throw new FrameTimestampError({
        ...context,
        frameIndex,
        expectedTimestamp,
        videoTimestamp,
        toleranceS,
      });
    }
  }

  if (videoTimestamps.length < episodeFrames) {
    throw new VideoTooShortError({
      ...context,
      frameIndex: videoTimestamps.length,
      episodeFrames,
      expectedTimestamp: expectedAt(videoTimestamps.length),
      lastVideoTimestamp: videoTimestamps.length === 0 ? null : (videoTimestamps.at(-1) as number),
    });
  }
}
