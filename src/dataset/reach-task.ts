/**
 * The embedded task: a planar two-joint arm reaching for a target, generated in memory.
 *
 * State is `[shoulder, elbow, target_x, target_y]` (radians, metres) and the action at frame t
 * is the joint command for frame t + 1, which closes a fixed fraction of the distance to the
 * joint angles that put the hand on the target. The action is a smooth function of the state,
 * so a policy that learns it drives its loss far below where it started.
 */
import type { EpisodeTable } from "./episode-table.js";
import { seededRandom } from "./seeded-random.js";

export interface ReachTaskParams {
  episodes: number;
  framesPerEpisode: number;
  seed: number;
}

export const REACH_TASK_DEFAULTS: ReachTaskParams = { episodes: 64, framesPerEpisode: 60, seed: 0 };

const UPPER_ARM_M = 1.0;
const FOREARM_M = 0.8;
/** Fraction of the remaining joint error the controller closes each frame. */
const GAIN = 0.12;
const FPS = 30;

export function generateReachTask(params: ReachTaskParams = REACH_TASK_DEFAULTS): EpisodeTable {
  const random = seededRandom(params.seed);
  const uniform = (low: number, high: number) => low + (high - low) * random();

  const frames = params.episodes * params.framesPerEpisode;
  const state = new Float32Array(frames * 4);
  const action = new Float32Array(frames * 2);
  const episodeStarts = new Uint32Array(params.episodes + 1);

  for (let episode = 0; episode < params.episodes; episode++) {
    const first = episode * params.framesPerEpisode;
    episodeStarts[episode] = first;

    // The goal pose keeps the elbow bent one way, so the target fixes it uniquely.
    const goalShoulder = uniform(-Math.PI / 2, Math.PI / 2);
    const goalElbow = uniform(0.3, 2.4);
    const targetX =
      UPPER_ARM_M * Math.cos(goalShoulder) + FOREARM_M * Math.cos(goalShoulder + goalElbow);
    const targetY =
      UPPER_ARM_M * Math.sin(goalShoulder) + FOREARM_M * Math.sin(goalShoulder + goalElbow);

    let shoulder = uniform(-Math.PI / 2, Math.PI / 2);
    let elbow = uniform(0.3, 2.4);
    for (let t = 0; t < params.framesPerEpisode; t++) {
      const frame = first + t;
      state.set([shoulder, elbow, targetX, targetY], frame * 4);
      shoulder += GAIN * (goalShoulder - shoulder);
      elbow += GAIN * (goalElbow - elbow);
      action.set([shoulder, elbow], frame * 2);
    }
  }
  episodeStarts[params.episodes] = frames;

  return { stateDim: 4, actionDim: 2, state, action, episodeStarts, fps: FPS };
}
