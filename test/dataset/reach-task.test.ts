import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { episodeCount, frameCount } from "../../src/dataset/episode-table.js";
import { generateReachTask } from "../../src/dataset/reach-task.js";

describe("generateReachTask", () => {
  test("lays out every episode's frames contiguously", () => {
    const table = generateReachTask({ episodes: 3, framesPerEpisode: 20, seed: 1 });
    assert.equal(episodeCount(table), 3);
    assert.equal(frameCount(table), 60);
    assert.deepEqual(Array.from(table.episodeStarts), [0, 20, 40, 60]);
    assert.equal(table.state.length, 60 * table.stateDim);
    assert.equal(table.action.length, 60 * table.actionDim);
  });

  test("commands at frame t the joints observed at frame t + 1", () => {
    const table = generateReachTask({ episodes: 2, framesPerEpisode: 10, seed: 2 });
    for (let frame = 0; frame < 19; frame++) {
      if (frame === 9) continue; // the last frame of episode 0 has no next frame in it
      const commanded = Array.from(table.action.subarray(frame * 2, frame * 2 + 2));
      const reached = Array.from(table.state.subarray((frame + 1) * 4, (frame + 1) * 4 + 2));
      assert.deepEqual(commanded, reached);
    }
  });

  test("keeps the target fixed within an episode and moves toward it", () => {
    const table = generateReachTask({ episodes: 1, framesPerEpisode: 40, seed: 3 });
    const target = Array.from(table.state.subarray(2, 4));
    const hand = (frame: number) => {
      const [shoulder, elbow] = table.state.subarray(frame * 4, frame * 4 + 2) as unknown as [
        number,
        number,
      ];
      return [
        Math.cos(shoulder) + 0.8 * Math.cos(shoulder + elbow),
        Math.sin(shoulder) + 0.8 * Math.sin(shoulder + elbow),
      ];
    };
    const distance = (frame: number) =>
      Math.hypot(hand(frame)[0]! - target[0]!, hand(frame)[1]! - target[1]!);
    for (let frame = 0; frame < 40; frame++) {
      assert.deepEqual(Array.from(table.state.subarray(frame * 4 + 2, frame * 4 + 4)), target);
    }
    assert.ok(
      distance(39) < 0.1 * distance(0) + 1e-3,
      `hand ended ${distance(39)} m from the target`,
    );
  });

  test("is the same for the same seed and differs for another", () => {
    const a = generateReachTask({ episodes: 2, framesPerEpisode: 5, seed: 9 });
    const b = generateReachTask({ episodes: 2, framesPerEpisode: 5, seed: 9 });
    const c = generateReachTask({ episodes: 2, framesPerEpisode: 5, seed: 10 });
    assert.deepEqual(a.state, b.state);
    assert.notDeepEqual(a.state, c.state);
  });
});
