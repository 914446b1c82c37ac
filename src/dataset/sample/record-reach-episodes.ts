/**
 * The reach task recorded as a LeRobot dataset records it: per frame the joint state, the joint
 * command, index columns, and each camera's image.
 *
 * Legend: F frames, H x W image size.
 */
import { generateReachTask } from "../reach-task.js";
import { type CameraView, renderReachScene } from "./render-reach-scene.js";

export interface RecordingParams {
  episodes: number;
  framesPerEpisode: number;
  fps: number;
  cameras: CameraView[];
  width: number;
  height: number;
  seed: number;
}

export interface Recording {
  frames: number;
  episodeStarts: Uint32Array; // (episodes + 1)
  state: Float32Array; // (F, 2) shoulder, elbow in radians
  action: Float32Array; // (F, 2) joint command for the next frame
  timestamp: Float32Array; // (F) seconds from the episode start
  frameIndex: BigInt64Array; // (F) frame within its episode
  episodeIndex: BigInt64Array; // (F)
  index: BigInt64Array; // (F) frame within the dataset
  taskIndex: BigInt64Array; // (F)
  images: Map<CameraView, Uint8Array>; // (F, H, W, 3) per camera
}

export function recordReachEpisodes(params: RecordingParams): Recording {
  const task = generateReachTask({
    episodes: params.episodes,
    framesPerEpisode: params.framesPerEpisode,
    seed: params.seed,
  });
  const frames = params.episodes * params.framesPerEpisode;
  const state = new Float32Array(frames * 2);
  const timestamp = new Float32Array(frames);
  const frameIndex = new BigInt64Array(frames);
  const episodeIndex = new BigInt64Array(frames);
  const index = new BigInt64Array(frames);
  const imageBytes = params.width * params.height * 3;
  const images = new Map(params.cameras.map((view) => [view, new Uint8Array(frames * imageBytes)]));

  for (let frame = 0; frame < frames; frame++) {
    const inEpisode = frame % params.framesPerEpisode;
    const [shoulder, elbow, targetX, targetY] = task.state.subarray(frame * 4, frame * 4 + 4);
    state[frame * 2] = shoulder as number;
    state[frame * 2 + 1] = elbow as number;
    timestamp[frame] = inEpisode / params.fps;
    frameIndex[frame] = BigInt(inEpisode);
    episodeIndex[frame] = BigInt(Math.floor(frame / params.framesPerEpisode));
    index[frame] = BigInt(frame);

    const scene = {
      shoulder: shoulder as number,
      elbow: elbow as number,
      targetX: targetX as number,
      targetY: targetY as number,
    };
    for (const [view, pixels] of images) {
      const image = pixels.subarray(frame * imageBytes, (frame + 1) * imageBytes);
      renderReachScene(image, params.width, params.height, scene, view);
    }
  }

  return {
    frames,
    episodeStarts: task.episodeStarts,
    state,
    action: task.action,
    timestamp,
    frameIndex,
    episodeIndex,
    index,
    taskIndex: new BigInt64Array(frames),
    images,
  };
}
