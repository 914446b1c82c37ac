/**
 * Benchmark of the frame cache build against a bare ffmpeg decode of the same files, in one
 * run: (a) `ffmpeg -i <episode> -f rawvideo -pix_fmt rgb24 -` into /dev/null, and (b)
 * buildFrameCache into a cold cache, both decoding `concurrency` episodes at a time. It
 * prints frames/s of each and their ratio (target: at least 0.8x) and writes them to
 * bench/results/frame-cache.{json,md}. Not a test: it asserts nothing.
 *
 * `npm run bench:dataset` runs it (bench/dataset.ts).
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, open, readFile, rm } from "node:fs/promises";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { forEachConcurrently } from "../src/dataset/for-each-concurrently.js";
import { buildFrameCache, type VideoSegment } from "../src/dataset/frame-cache.js";
import { loadAddon } from "../src/train/addon.js";

export type BenchCodec = "h264" | "av1";

// As LeRobot encodes camera streams: yuv420p, crf 30, a keyframe every 2 frames.
const ENCODERS: Record<BenchCodec, string[]> = {
  h264: ["-c:v", "libx264", "-preset", "veryfast", "-crf", "30", "-g", "2"],
  av1: [
    ...["-c:v", "libsvtav1", "-preset", "10", "-crf", "30", "-g", "2"],
    ...["-svtav1-params", "verbosity=0"],
  ],
};

export interface FrameCacheBenchOptions {
  episodes?: number;
  framesPerEpisode?: number;
  width?: number;
  height?: number;
  fps?: number;
  codecs?: BenchCodec[];
  /** Episodes decoded at once, by both sides. @default os.availableParallelism() */
  concurrency?: number;
  /** Timed runs of each side per codec, alternating; the median is reported. */
  runs?: number;
}

export interface FrameCacheBenchRow {
  codec: BenchCodec;
  episodes: number;
  frames: number;
  width: number;
  height: number;
  /** Median over the runs. */
  bareFfmpegFramesPerSecond: number;
  /** The same bare decode writing each episode to its own file (no check, no fsync). */
  bareFfmpegToFilesFramesPerSecond: number;
  frameCacheFramesPerSecond: number;
  /** frameCache / bareFfmpeg frames per second: the figure the target is about. */
  ratio: number;
  /** frameCache / bareFfmpegToFiles frames per second. */
  ratioToFiles: number;
  /** Peak RSS of this process so far (the addon and libtorch included), MiB. */
  peakRssMiB: number;
  /** Peak anonymous (heap, buffers) RSS sampled during the cache builds, MiB. */
  peakAnonymousRssMiB: number;
}

export interface FrameCacheBenchFigures {
  measuredAt: string;
  machine: { cpus: number; cpuModel: string; node: string; ffmpeg: string };
  concurrency: number;
  runs: number;
  targetRatio: number;
  rows: FrameCacheBenchRow[];
}

const TARGET_RATIO = 0.8;

async function runFfmpeg(args: string[], stdout: "ignore" | number = "ignore"): Promise<string> {
  const child = spawn("ffmpeg", args, { stdio: ["ignore", stdout, "pipe"] });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (code !== 0) throw new Error(`ffmpeg ${args.join(" ")} exited with ${code}: ${stderr}`);
  return stderr;
}

/** Moving test pictures, a different stretch of the pattern in each episode. */
async function encodeEpisodes(
  dir: string,
  codec: BenchCodec,
  options: Required<FrameCacheBenchOptions>,
): Promise<string[]> {
  const paths = Array.from({ length: options.episodes }, (_, e) => join(dir, `${codec}-${e}.mp4`));
  const seconds = options.framesPerEpisode / options.fps;
  await forEachConcurrently(paths, options.concurrency, async (path) => {
    const episode = paths.indexOf(path);
    const source = `testsrc2=size=${options.width}x${options.height}:rate=${options.fps}`;
    await runFfmpeg([
      ...["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source],
      ...["-ss", String(episode * seconds), "-frames:v", String(options.framesPerEpisode)],
      ...ENCODERS[codec],
      ...["-pix_fmt", "yuv420p", path],
    ]);
  });
  return paths;
}

const BARE_DECODE = ["-nostdin", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24"];

/** Seconds to decode every file to RGB with a bare ffmpeg, output thrown away. */
async function timeBareFfmpeg(paths: string[], concurrency: number): Promise<number> {
  const devNull = await open("/dev/null", "w");
  try {
    const started = performance.now();
    await forEachConcurrently(paths, concurrency, async (path) => {
      await runFfmpeg(["-i", path, ...BARE_DECODE, "-"], devNull.fd);
    });
    return (performance.now() - started) / 1000;
  } finally {
    await devNull.close();
  }
}

/**
 * Seconds for a bare ffmpeg to decode every file into an RGB file of its own: what writing
 * the pixels anywhere costs on top of decoding them, shown beside the required baseline.
 */
async function timeBareFfmpegToFiles(
  paths: string[],
  concurrency: number,
  outDir: string,
): Promise<number> {
  await mkdir(outDir, { recursive: true });
  try {
    const started = performance.now();
    await forEachConcurrently(paths, concurrency, async (path) => {
      const out = join(outDir, `${paths.indexOf(path)}.rgb`);
      await runFfmpeg(["-i", path, ...BARE_DECODE, "-y", out]);
    });
    return (performance.now() - started) / 1000;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

/** `RssAnon` of /proc/self/status, in MiB. */
async function anonymousRssMiB(): Promise<number> {
  const status = await readFile("/proc/self/status", "utf8");
  const kib = /RssAnon:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kib ?? 0) / 1024;
}

/** Seconds to build a cold cache of every file, and the peak anonymous RSS seen meanwhile. */
async function timeFrameCache(
  segments: VideoSegment[],
  options: Required<FrameCacheBenchOptions>,
  cacheDir: string,
): Promise<{ seconds: number; peakAnonymousRssMiB: number }> {
  await rm(cacheDir, { recursive: true, force: true });
  let peakAnonymousRssMiB = await anonymousRssMiB();
  const sampler = setInterval(async () => {
    peakAnonymousRssMiB = Math.max(peakAnonymousRssMiB, await anonymousRssMiB());
  }, 20);
  try {
    const started = performance.now();
    await buildFrameCache({
      key: { repoId: "robotrain/bench", revision: "bench", camera: "observation.images.cam" },
      segments,
      fps: options.fps,
      cacheDir,
      concurrency: options.concurrency,
    });
    return { seconds: (performance.now() - started) / 1000, peakAnonymousRssMiB };
  } finally {
    clearInterval(sampler);
    await rm(cacheDir, { recursive: true, force: true });
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function measureCodec(
  workDir: string,
  codec: BenchCodec,
  options: Required<FrameCacheBenchOptions>,
): Promise<FrameCacheBenchRow> {
  const paths = await encodeEpisodes(workDir, codec, options);
  const frames = options.episodes * options.framesPerEpisode;
  const segments = paths.map((path, episodeIndex) => ({
    episodeIndex,
    path,
    fromTimestamp: 0,
    timestamps: Float32Array.from({ length: options.framesPerEpisode }, (_, i) => i / options.fps),
  }));

  // Alternate the two sides so drift in the machine's speed hits both alike.
  const bareSeconds: number[] = [];
  const toFilesSeconds: number[] = [];
  const cacheSeconds: number[] = [];
  let peakAnonymous = 0;
  for (let run = 0; run < options.runs; run++) {
    bareSeconds.push(await timeBareFfmpeg(paths, options.concurrency));
    toFilesSeconds.push(
      await timeBareFfmpegToFiles(paths, options.concurrency, join(workDir, "bare-out")),
    );
    const cache = await timeFrameCache(segments, options, join(workDir, "cache"));
    cacheSeconds.push(cache.seconds);
    peakAnonymous = Math.max(peakAnonymous, cache.peakAnonymousRssMiB);
  }

  const bareFramesPerSecond = frames / median(bareSeconds);
  const toFilesFramesPerSecond = frames / median(toFilesSeconds);
  const cacheFramesPerSecond = frames / median(cacheSeconds);
  return {
    codec,
    episodes: options.episodes,
    frames,
    width: options.width,
    height: options.height,
    bareFfmpegFramesPerSecond: Math.round(bareFramesPerSecond),
    bareFfmpegToFilesFramesPerSecond: Math.round(toFilesFramesPerSecond),
    frameCacheFramesPerSecond: Math.round(cacheFramesPerSecond),
    ratio: Number((cacheFramesPerSecond / bareFramesPerSecond).toFixed(3)),
    ratioToFiles: Number((cacheFramesPerSecond / toFilesFramesPerSecond).toFixed(3)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    peakAnonymousRssMiB: Math.round(peakAnonymous),
  };
}

export async function measureFrameCache(
  overrides: FrameCacheBenchOptions = {},
): Promise<FrameCacheBenchFigures> {
  const options: Required<FrameCacheBenchOptions> = {
    episodes: 20,
    framesPerEpisode: 150,
    width: 320,
    height: 240,
    fps: 30,
    codecs: ["h264", "av1"],
    concurrency: availableParallelism(),
    runs: 3,
    ...overrides,
  };
  // The addon (and libtorch with it) loads once per process, not once per build: not timed.
  loadAddon();
  const workDir = await mkdtemp(join(tmpdir(), "robotrain-bench-frame-cache-"));
  try {
    const rows: FrameCacheBenchRow[] = [];
    for (const codec of options.codecs) rows.push(await measureCodec(workDir, codec, options));
    const version = await runFfmpegVersion();
    return {
      measuredAt: new Date().toISOString(),
      machine: {
        cpus: availableParallelism(),
        cpuModel: cpus()[0]?.model ?? "unknown",
        node: process.version,
        ffmpeg: version,
      },
      concurrency: options.concurrency,
      runs: options.runs,
      targetRatio: TARGET_RATIO,
      rows,
    };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

async function runFfmpegVersion(): Promise<string> {
  const child = spawn("ffmpeg", ["-version"], { stdio: ["ignore", "pipe", "ignore"] });
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    stdout += text;
  });
  await new Promise((resolve) => child.on("close", resolve));
  return /ffmpeg version (\S+)/.exec(stdout)?.[1] ?? "unknown";
}

export function frameCacheMarkdown(figures: FrameCacheBenchFigures): string {
  const { machine } = figures;
  const lines = [
    "# Frame cache build vs bare ffmpeg decode",
    "",
    `Measured ${figures.measuredAt} on ${machine.cpus} CPUs (${machine.cpuModel}), Node ` +
      `${machine.node}, ffmpeg ${machine.ffmpeg}; ${figures.concurrency} episodes decoded at ` +
      `once by both sides; median of ${figures.runs} alternating runs. Target ratio: at least ` +
      `${figures.targetRatio}x.`,
    "",
    "| codec | episodes × frames | size | bare ffmpeg frames/s | frame cache frames/s | " +
      "ratio | bare ffmpeg to files frames/s | ratio to files | peak RSS MiB | " +
      "peak anon RSS MiB |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...figures.rows.map(
      (row) =>
        `| ${row.codec} | ${row.episodes} × ${row.frames / row.episodes} | ` +
        `${row.width}x${row.height} | ${row.bareFfmpegFramesPerSecond} | ` +
        `${row.frameCacheFramesPerSecond} | ${row.ratio}x | ` +
        `${row.bareFfmpegToFilesFramesPerSecond} | ${row.ratioToFiles}x | ` +
        `${row.peakRssMiB} | ${row.peakAnonymousRssMiB} |`,
    ),
    "",
    'The ratio is against the bare decode into /dev/null; "to files" is the same decode',
    "writing each episode's RGB to a file of its own, the cost of storing pixels at all. Peak",
    "RSS is the whole process, the native addon and libtorch included; anonymous RSS is the",
    "heap and buffers alone, flat because frames stream from ffmpeg into the file.",
    "",
  ];
  return lines.join("\n");
}
