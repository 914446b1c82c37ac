import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { SpawnProcess } from "../../src/dataset/ffmpeg-process.js";
import {
  type BuildFrameCacheParams,
  buildFrameCache,
  type FrameCache,
  type FrameCacheProgress,
  type VideoSegment,
} from "../../src/dataset/frame-cache.js";
import {
  FfmpegFailedError,
  FfmpegNotFoundError,
  FrameTimestampError,
  VideoNotFoundError,
  VideoTooShortError,
} from "../../src/dataset/video-errors.js";
import {
  encodeFrameNumberVideo,
  readFrameNumber,
  type TestCodec,
} from "../helpers/frame-number-video.js";

const FPS = 30;
const WIDTH = 64;
const HEIGHT = 48;
/**
 * Largest distance, in colour levels, of a row's mean colour from its frame's exact colour:
 * half the step between frame numbers, above the 3 levels lossy coding and yuv420p rounding
 * were measured to add per pixel.
 */
const COLOUR_TOLERANCE = 3;

const FRAME_CACHE_MODULE = new URL("../../src/dataset/frame-cache.js", import.meta.url).href;
const MAPPED_FILE_MODULE = new URL("../../src/dataset/mapped-file.js", import.meta.url).href;

let workDir: string;
/** One MP4 per episode (v2.x layout), by codec: 12, 20 and 16 frames. */
const episodeVideos = new Map<TestCodec, string[]>();
const EPISODE_FRAMES = [12, 20, 16];
/** A v3.0-style file: episodes of 10, 14 and 12 frames back to back (36 frames). */
let sharedVideo: string;
const SHARED_EPISODE_FRAMES = [10, 14, 12];

/** Dataset timestamps of an episode: frame i at i / fps, stored as float32 like parquet's. */
function timestampsOf(frames: number, fps = FPS): Float32Array {
  return Float32Array.from({ length: frames }, (_, i) => i / fps);
}

function v2Segments(codec: TestCodec): VideoSegment[] {
  return (episodeVideos.get(codec) ?? []).map((path, episodeIndex) => ({
    episodeIndex,
    path,
    fromTimestamp: 0,
    timestamps: timestampsOf(EPISODE_FRAMES[episodeIndex] as number),
  }));
}

let cacheCount = 0;
/** A fresh cache folder per test, so no test sees another's cache. */
function freshCacheDir(): string {
  cacheCount++;
  return join(workDir, `cache-${cacheCount}`);
}

function params(overrides: Partial<BuildFrameCacheParams>): BuildFrameCacheParams {
  return {
    key: {
      repoId: "robotrain/frame-numbers",
      revision: "abc123",
      camera: "observation.images.top",
    },
    segments: v2Segments("h264"),
    fps: FPS,
    cacheDir: freshCacheDir(),
    ...overrides,
  };
}

/** A spawn that records each command it starts, then starts it for real. */
function countingSpawn(): { commands: string[]; spawnProcess: SpawnProcess } {
  const commands: string[] = [];
  return {
    commands,
    spawnProcess: (command, args, options) => {
      commands.push(command);
      return spawn(command, args, options);
    },
  };
}

/** Checks that row episodeStart + i holds frame `firstFrameNumber + i` of the episode's video. */
function assertEpisodeRows(cache: FrameCache, episodeIndex: number, firstFrameNumber: number) {
  const frameBytes = cache.width * cache.height * 3;
  const start = cache.episodeStart(episodeIndex);
  for (let i = 0; i < cache.episodeFrames(episodeIndex); i++) {
    const row = start + i;
    const frame = cache.pixels.subarray(row * frameBytes, (row + 1) * frameBytes);
    const { frameNumber, error } = readFrameNumber(frame);
    assert.equal(frameNumber, firstFrameNumber + i, `episode ${episodeIndex} row ${row}`);
    assert.ok(error <= COLOUR_TOLERANCE, `episode ${episodeIndex} row ${row} is ${error} off`);
  }
}

async function filesIn(dir: string): Promise<string[]> {
  return (await readdir(dir)).sort();
}

/** Runs `node --input-type=module -e script`, returning the child and its stdout lines. */
function runNode(script: string, args: string[] = []): { child: ChildProcess; lines: string[] } {
  const child = spawn(process.execPath, ["--input-type=module", "-e", script, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines: string[] = [];
  child.stdout?.setEncoding("utf8").on("data", (text: string) => {
    lines.push(...text.split("\n").filter((line) => line.length > 0));
  });
  return { child, lines };
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
}

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), "robotrain-frame-cache-"));
  const encodes: Promise<void>[] = [];
  for (const codec of ["h264", "hevc", "av1"] as const) {
    const paths = EPISODE_FRAMES.map((_, e) => join(workDir, `${codec}-episode-${e}.mp4`));
    episodeVideos.set(codec, paths);
    paths.forEach((path, e) => {
      const frames = EPISODE_FRAMES[e] as number;
      encodes.push(
        encodeFrameNumberVideo({ path, frames, width: WIDTH, height: HEIGHT, fps: FPS, codec }),
      );
    });
  }
  sharedVideo = join(workDir, "shared-episodes.mp4");
  const sharedFrames = SHARED_EPISODE_FRAMES.reduce((a, b) => a + b, 0);
  encodes.push(
    encodeFrameNumberVideo({
      path: sharedVideo,
      frames: sharedFrames,
      width: WIDTH,
      height: HEIGHT,
      fps: FPS,
      codec: "h264",
    }),
  );
  // Two cores: encode two at a time.
  for (let i = 0; i < encodes.length; i += 2) await Promise.all(encodes.slice(i, i + 2));
});

after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe("buildFrameCache", () => {
  for (const codec of ["h264", "hevc", "av1"] as const) {
    test(`puts frame i of each ${codec} episode in row episodeStart + i`, async () => {
      const progress: FrameCacheProgress[] = [];
      const cache = await buildFrameCache(
        params({ segments: v2Segments(codec), onProgress: (report) => progress.push(report) }),
      );

      assert.equal(cache.reused, false);
      assert.deepEqual([cache.frames, cache.height, cache.width], [48, HEIGHT, WIDTH]);
      assert.equal(cache.pixels.length, 48 * HEIGHT * WIDTH * 3);
      assert.deepEqual([0, 1, 2].map(cache.episodeStart), [0, 12, 32]);
      for (const episodeIndex of [0, 1, 2]) assertEpisodeRows(cache, episodeIndex, 0);

      const last = progress.at(-1);
      assert.deepEqual([last?.framesDone, last?.framesTotal, last?.etaSeconds], [48, 48, 0]);
      assert.ok((last?.framesPerSecond ?? 0) > 0);
      for (let i = 1; i < progress.length; i++) {
        assert.ok((progress[i]?.framesDone ?? 0) > (progress[i - 1]?.framesDone ?? 0));
      }
    });
  }

  test("scales frames to the requested size while decoding", async () => {
    const cache = await buildFrameCache(params({ size: { width: 32, height: 20 } }));

    assert.deepEqual([cache.frames, cache.height, cache.width], [48, 20, 32]);
    assert.equal(cache.pixels.length, 48 * 20 * 32 * 3);
    // Flat frames keep their colour through scaling.
    for (const episodeIndex of [0, 1, 2]) assertEpisodeRows(cache, episodeIndex, 0);
  });

  test("seeks to each episode's from_timestamp in a v3.0 shared video", async () => {
    // Episodes 0, 1, 2 start at frames 0, 10 and 24 of the file; rows follow segment order.
    const starts = [0, 10, 24];
    const segment = (episodeIndex: number): VideoSegment => ({
      episodeIndex,
      path: sharedVideo,
      fromTimestamp: (starts[episodeIndex] as number) / FPS,
      timestamps: timestampsOf(SHARED_EPISODE_FRAMES[episodeIndex] as number),
    });
    const cache = await buildFrameCache(params({ segments: [segment(2), segment(0), segment(1)] }));

    assert.equal(cache.frames, 36);
    assert.deepEqual([2, 0, 1].map(cache.episodeStart), [0, 12, 22]);
    for (const episodeIndex of [0, 1, 2]) {
      assertEpisodeRows(cache, episodeIndex, starts[episodeIndex] as number);
    }
  });

  test("fails on a frame whose video timestamp is not the dataset's, naming both", async () => {
    const cacheDir = freshCacheDir();
    // Timestamps of a 25 fps recording against a 30 fps video: frame 1 is at 0.04 s, not 0.0333 s.
    const segments = v2Segments("h264");
    segments[1] = { ...(segments[1] as VideoSegment), timestamps: timestampsOf(20, 25) };

    await assert.rejects(buildFrameCache(params({ segments, cacheDir })), (error: unknown) => {
      assert.ok(error instanceof FrameTimestampError);
      assert.equal(error.episodeIndex, 1);
      assert.equal(error.frameIndex, 1);
      assert.match(error.message, /episode 1 frame 1: .* at 0\.040000 s .* at 0\.033333 s/);
      assert.equal(error.retryable, false);
      return true;
    });
    // The failed build left nothing behind, not even its temporary file.
    assert.deepEqual(await filesIn(cacheDir), []);
  });

  test("fails when a video has fewer frames than its episode", async () => {
    const segments = v2Segments("h264");
    // Episode 0's video has 12 frames; the dataset says 15.
    segments[0] = { ...(segments[0] as VideoSegment), timestamps: timestampsOf(15) };

    await assert.rejects(buildFrameCache(params({ segments })), (error: unknown) => {
      assert.ok(error instanceof VideoTooShortError);
      assert.equal(error.episodeIndex, 0);
      assert.equal(error.frameIndex, 12);
      assert.match(error.message, /episode 0 has 15 frames .* ends with a frame at 0\.366667 s/);
      assert.match(error.message, /frame 12 was expected at 0\.400000 s/);
      return true;
    });
  });

  test("names a missing video and its episode", async () => {
    const segments = v2Segments("h264");
    const missing = join(workDir, "no-such-episode.mp4");
    segments[2] = { ...(segments[2] as VideoSegment), path: missing };

    await assert.rejects(buildFrameCache(params({ segments })), (error: unknown) => {
      assert.ok(error instanceof VideoNotFoundError);
      assert.equal(error.episodeIndex, 2);
      assert.ok(error.message.includes(missing));
      return true;
    });
  });

  test("says to install ffmpeg when it is not there", async () => {
    const ffmpegPath = join(workDir, "no-ffmpeg-here");
    await assert.rejects(
      buildFrameCache(params({ size: { width: 32, height: 24 }, ffmpegPath })),
      (error: unknown) => {
        assert.ok(error instanceof FfmpegNotFoundError);
        assert.equal(error.command, ffmpegPath);
        assert.match(error.message, /install ffmpeg/);
        return true;
      },
    );
    // Without a size, ffprobe reads the native size first.
    await assert.rejects(
      buildFrameCache(params({ ffprobePath: join(workDir, "no-ffprobe-here") })),
      FfmpegNotFoundError,
    );
  });

  test("reports ffmpeg's failure with the tail of its stderr", async () => {
    const notVideo = join(workDir, "not-a-video.mp4");
    await writeFile(notVideo, "these bytes are no MP4 at all\n".repeat(100));
    const segments: VideoSegment[] = [
      { episodeIndex: 4, path: notVideo, fromTimestamp: 0, timestamps: timestampsOf(5) },
    ];

    for (const size of [undefined, { width: 32, height: 24 }]) {
      await assert.rejects(buildFrameCache(params({ segments, size })), (error: unknown) => {
        assert.ok(error instanceof FfmpegFailedError);
        assert.equal(error.command, size ? "ffmpeg" : "ffprobe");
        assert.equal(error.episodeIndex, 4);
        assert.equal(error.retryable, false);
        assert.ok(error.message.includes(notVideo));
        assert.match(error.message, /Invalid data found when processing input/);
        return true;
      });
    }
  });

  test("reuses a complete cache of the same key and segments without running ffmpeg", async () => {
    const cacheDir = freshCacheDir();
    const first = await buildFrameCache(params({ cacheDir }));
    const firstStat = await stat(first.path);
    const filesAfterFirst = await filesIn(cacheDir);

    const counted = countingSpawn();
    const second = await buildFrameCache(params({ cacheDir, spawnProcess: counted.spawnProcess }));

    assert.equal(second.reused, true);
    assert.deepEqual(counted.commands, []);
    assert.equal(second.path, first.path);
    const secondStat = await stat(second.path);
    assert.deepEqual([secondStat.ino, secondStat.mtimeMs], [firstStat.ino, firstStat.mtimeMs]);
    assert.deepEqual(await filesIn(cacheDir), filesAfterFirst);
    assert.equal(filesAfterFirst.length, 2, `a pixel file and its sidecar: ${filesAfterFirst}`);
    for (const episodeIndex of [0, 1, 2]) assertEpisodeRows(second, episodeIndex, 0);

    // Other episodes under the same key are another cache: it is rebuilt, not reused.
    const fewer = v2Segments("h264").slice(0, 2);
    const third = await buildFrameCache(
      params({ cacheDir, segments: fewer, spawnProcess: counted.spawnProcess }),
    );
    assert.equal(third.reused, false);
    // ffprobe reads the native frame size, then one ffmpeg per episode.
    assert.deepEqual(counted.commands, ["ffprobe", "ffmpeg", "ffmpeg"]);
    assert.equal(third.frames, 32);
  });

  test("keys the cache file by target size", async () => {
    const cacheDir = freshCacheDir();
    const native = await buildFrameCache(params({ cacheDir }));
    const small = await buildFrameCache(params({ cacheDir, size: { width: 32, height: 24 } }));

    assert.notEqual(native.path, small.path);
    assert.match(
      native.path,
      /robotrain--frame-numbers\.observation\.images\.top\.native\.[0-9a-f]{16}\.rgb$/,
    );
    assert.match(small.path, /\.32x24\.[0-9a-f]{16}\.rgb$/);
    assert.equal((await filesIn(cacheDir)).length, 4);
  });

  test("never uses a build whose ffmpeg was killed, and rebuilds it next time", async () => {
    const cacheDir = freshCacheDir();
    const segments = v2Segments("h264");
    const lastPath = segments.at(-1)?.path;
    // Kills the last episode's ffmpeg as soon as it has written its first frames.
    const killLast: SpawnProcess = (command, args, options) => {
      const child = spawn(command, args, options);
      if (args.some((arg) => arg.endsWith(lastPath as string)))
        child.stdout?.once("data", () => child.kill("SIGKILL"));
      return child;
    };

    await assert.rejects(
      buildFrameCache(params({ cacheDir, segments, spawnProcess: killLast, concurrency: 1 })),
      (error: unknown) => {
        assert.ok(error instanceof FfmpegFailedError);
        assert.equal(error.signal, "SIGKILL");
        assert.equal(error.episodeIndex, 2);
        assert.equal(error.retryable, true);
        return true;
      },
    );
    assert.deepEqual(await filesIn(cacheDir), []);

    const rebuilt = await buildFrameCache(params({ cacheDir, segments }));
    assert.equal(rebuilt.reused, false);
    for (const episodeIndex of [0, 1, 2]) assertEpisodeRows(rebuilt, episodeIndex, 0);
  });

  test("rebuilds after a build process is SIGKILLed half-way, removing its temp file", async () => {
    const cacheDir = freshCacheDir();
    const build = params({ cacheDir, concurrency: 1 });
    const segments = build.segments.map((segment) => ({
      ...segment,
      timestamps: Array.from(segment.timestamps),
    }));
    // The child builds the cache and, at its first progress report, stops dead in the middle
    // of episode 0 (the event loop blocked) so the parent can kill it there.
    const script = `
      import { buildFrameCache } from ${JSON.stringify(FRAME_CACHE_MODULE)};
      const build = JSON.parse(process.argv[1]);
      for (const segment of build.segments) {
        segment.timestamps = Float32Array.from(segment.timestamps);
      }
      await buildFrameCache({
        ...build,
        onProgress: () => {
          process.stdout.write("progress\\n", () =>
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000));
        },
      });
      process.stdout.write("finished\\n");
    `;
    const { child, lines } = runNode(script, [JSON.stringify({ ...build, segments })]);
    while (!lines.includes("progress")) {
      assert.equal(child.exitCode, null, "the child build ended before it reported progress");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const midway = await filesIn(cacheDir);
    assert.equal(midway.length, 1, `only the temporary pixel file: ${midway}`);
    assert.match(midway[0] as string, /\.rgb\.\d+-[0-9a-f]+\.tmp$/);
    child.kill("SIGKILL");
    assert.deepEqual(await exitOf(child), { code: null, signal: "SIGKILL" });
    assert.ok(!lines.includes("finished"));

    const counted = countingSpawn();
    const rebuilt = await buildFrameCache({ ...build, spawnProcess: counted.spawnProcess });
    assert.equal(rebuilt.reused, false);
    assert.deepEqual(counted.commands, ["ffprobe", "ffmpeg", "ffmpeg", "ffmpeg"]);
    for (const episodeIndex of [0, 1, 2]) assertEpisodeRows(rebuilt, episodeIndex, 0);
    const after = await filesIn(cacheDir);
    assert.equal(after.length, 2, `the killed build's temporary file is gone: ${after}`);
    assert.ok(after.every((name) => !name.endsWith(".tmp")));
  });

  test("leaves pixels that a second process maps and reads the same", async () => {
    const cache = await buildFrameCache(params({}));
    const script = `
      import { createHash } from "node:crypto";
      import { mapFile } from ${JSON.stringify(MAPPED_FILE_MODULE)};
      const pixels = new Uint8Array(mapFile(process.argv[1]));
      const digest = createHash("sha256").update(pixels).digest("hex");
      process.stdout.write(pixels.length + " " + digest + "\\n");
    `;
    const { child, lines } = runNode(script, [cache.path]);
    assert.deepEqual(await exitOf(child), { code: 0, signal: null });

    const expected = createHash("sha256").update(cache.pixels).digest("hex");
    assert.deepEqual(lines, [`${cache.pixels.length} ${expected}`]);
  });
});
