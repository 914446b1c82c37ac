/**
 * `robotrain sample-dataset`: writes a small LeRobot dataset of the simulated reach task.
 */

import type { CodebaseVersion } from "../dataset/lerobot-info.js";
import type { VideoCodec } from "../dataset/sample/encode-video.js";
import { writeSampleDataset } from "../dataset/sample/write-sample-dataset.js";
import { createLogger } from "../log.js";

export interface SampleDatasetOptions {
  output: string;
  episodes: number;
  frames: number;
  version: CodebaseVersion;
  cameras: number;
  width: number;
  height: number;
  fps: number;
  codec: VideoCodec;
  storage: "video" | "image";
  seed: number;
}

export async function sampleDatasetCommand(options: SampleDatasetOptions): Promise<void> {
  const log = createLogger();
  const started = performance.now();
  const result = await writeSampleDataset({ ...options, framesPerEpisode: options.frames });
  log.info("sample dataset written", {
    output: result.output,
    version: result.version,
    episodes: result.episodes,
    frames: result.frames,
    cameras: result.cameras,
    durationMs: Math.round(performance.now() - started),
  });
  process.stderr.write(
    `robotrain: wrote a ${result.version} dataset of ${result.episodes} episodes ` +
      `(${result.frames} frames, ${result.cameras.join(", ")}) to ${result.output}\n`,
  );
}
