import assert from "node:assert/strict";
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Field, FixedSizeList, Float32, makeVector, vectorFromArray } from "apache-arrow";
import type { DatasetError } from "../../src/dataset/dataset-error.js";
import { computeStats } from "../../src/dataset/feature-stats.js";
import { fixedSizeListVector, floatListColumn } from "../../src/dataset/parquet.js";
import { readFrames } from "../../src/dataset/read-frames.js";
import { readMeta } from "../../src/dataset/read-meta.js";
import { recordReachEpisodes } from "../../src/dataset/sample/record-reach-episodes.js";
import { writeSampleDataset } from "../../src/dataset/sample/write-sample-dataset.js";
import { rewriteParquet } from "../helpers/rewrite-parquet.js";

const EPISODES = 3;
const FRAMES = 20;
const SIZE = { width: 32, height: 24 };

let workDir: string;
const roots: Record<string, string> = {};

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), "robotrain-read-"));
  for (const [name, version, storage, cameras] of [
    ["v2.0", "v2.0", "video", 1],
    ["v2.1", "v2.1", "video", 2],
    ["v3.0", "v3.0", "video", 2],
    ["image", "v2.1", "image", 2],
    ["image-v3", "v3.0", "image", 1],
  ] as const) {
    roots[name] = join(workDir, name);
    await writeSampleDataset({
      output: roots[name] as string,
      episodes: EPISODES,
      framesPerEpisode: FRAMES,
      version,
      storage,
      cameras,
      ...SIZE,
    });
  }
});
after(() => rm(workDir, { recursive: true, force: true }));

/** What the generator recorded, to check the reader against. */
const recording = () =>
  recordReachEpisodes({
    episodes: EPISODES,
    framesPerEpisode: FRAMES,
    fps: 30,
    cameras: ["front", "top"],
    seed: 0,
    ...SIZE,
  });

/** A copy of a generated dataset that a test may break. */
async function copyOf(name: string): Promise<string> {
  const copy = await mkdtemp(join(workDir, `${name}-copy-`));
  await cp(roots[name] as string, copy, { recursive: true });
  return copy;
}

async function editJson(
  path: string,
  edit: (value: Record<string, unknown>) => void,
): Promise<void> {
  const value = JSON.parse(await readFile(path, "utf8"));
  edit(value);
  await writeFile(path, JSON.stringify(value));
}

async function readDataset(root: string, minEpisodes?: number) {
  return readFrames(await readMeta(root, "test/dataset"), { minEpisodes });
}

describe("reading LeRobot datasets", () => {
  for (const version of ["v2.0", "v2.1", "v3.0"]) {
    test(`reads codebase ${version}: episodes, tasks, and frames in episode order`, async () => {
      const meta = await readMeta(roots[version] as string, version);
      assert.equal(meta.info.codebase_version, version);
      assert.deepEqual(
        meta.episodes.map((episode) => [episode.episodeIndex, episode.length]),
        [
          [0, FRAMES],
          [1, FRAMES],
          [2, FRAMES],
        ],
      );
      assert.deepEqual(meta.tasks, ["Move the hand onto the red target."]);
      const front = meta.episodes[2]?.videos["observation.images.front"];
      if (version === "v3.0") {
        assert.deepEqual(front, {
          path: "videos/observation.images.front/chunk-000/file-000.mp4",
          fromTimestamp: (2 * FRAMES) / 30,
        });
      } else {
        assert.deepEqual(front, {
          path: "videos/chunk-000/observation.images.front/episode_000002.mp4",
          fromTimestamp: 0,
        });
      }

      const frames = await readFrames(meta);
      const expected = recording();
      assert.deepEqual(Array.from(frames.episodeStarts), [0, FRAMES, 2 * FRAMES, 3 * FRAMES]);
      assert.deepEqual(frames.state, expected.state);
      assert.deepEqual(frames.action, expected.action);
      assert.deepEqual(Array.from(frames.frameIndex.subarray(FRAMES - 1, FRAMES + 1)), [
        FRAMES - 1,
        0,
      ]);
      assert.equal(frames.timestamp[1], Math.fround(1 / 30));
      assert.equal(frames.fps, 30);
    });
  }

  test("merges v2.1's per-episode stats with count weights into the dataset's stats", async () => {
    const meta = await readMeta(roots["v2.1"] as string, "v2.1");
    const expected = computeStats(recording().state, 2);
    const stats = meta.stats["observation.state"];
    assert.equal(stats?.count, EPISODES * FRAMES);
    for (const key of ["mean", "std", "min", "max"] as const) {
      // Merging per-episode moments is exact up to float64 rounding.
      stats?.[key].forEach((value, d) => {
        assert.ok(Math.abs(value - (expected[key][d] as number)) < 1e-9, `${key}[${d}]`);
      });
    }
    assert.equal(meta.stats["observation.images.top"]?.mean.length, 3);
  });

  test("reads v2.0's and v3.0's stats.json, image stats flattened per channel", async () => {
    for (const version of ["v2.0", "v3.0"]) {
      const meta = await readMeta(roots[version] as string, version);
      assert.equal(meta.stats.action?.count, EPISODES * FRAMES);
      const image = meta.stats["observation.images.front"];
      assert.equal(image?.mean.length, 3);
      assert.ok(image.mean.every((value) => value > 0 && value < 1));
    }
  });

  for (const name of ["image", "image-v3"]) {
    test(`decodes camera images stored as PNG inside the parquet (${name})`, async () => {
      const frames = await readDataset(roots[name] as string);
      const expected = recording();
      const front = frames.images.get("observation.images.front");
      assert.equal(front?.height, SIZE.height);
      assert.equal(front?.width, SIZE.width);
      // PNG is lossless: every pixel comes back as rendered.
      assert.deepEqual(front?.pixels, expected.images.get("front"));
    });
  }
});

describe("refusing datasets that cannot train", () => {
  test("a dataset without an action feature", async () => {
    const root = await copyOf("v2.1");
    await editJson(join(root, "meta/info.json"), (info) => {
      delete (info.features as Record<string, unknown>).action;
    });
    await assert.rejects(
      readDataset(root),
      /dataset test\/dataset: has no 'action' feature in meta\/info\.json/,
    );
  });

  test("a dataset without observation.state", async () => {
    const root = await copyOf("v3.0");
    await editJson(join(root, "meta/info.json"), (info) => {
      delete (info.features as Record<string, unknown>)["observation.state"];
    });
    await assert.rejects(readDataset(root), /has no 'observation\.state' feature/);
  });

  test("NaN in the state, naming episode and frame", async () => {
    const root = await copyOf("v2.1");
    await rewriteParquet(join(root, "data/chunk-000/episode_000001.parquet"), (table) => {
      const state = floatListColumn(table, "observation.state", 2);
      state[7 * 2 + 1] = Number.NaN;
      return { "observation.state": fixedSizeListVector(state, 2) };
    });
    await assert.rejects(readDataset(root), (error: DatasetError) => {
      assert.equal(error.name, "DatasetError");
      assert.equal(error.episodeIndex, 1);
      assert.equal(error.frameIndex, 7);
      assert.match(error.message, /episode 1 frame 7: 'observation\.state' holds NaN/);
      return true;
    });
  });

  test("a null action, naming episode and row", async () => {
    const root = await copyOf("v2.0");
    await rewriteParquet(join(root, "data/chunk-000/episode_000002.parquet"), (table) => {
      const rows = Array.from({ length: table.numRows }, (_, row) => (row === 4 ? null : [0, 0]));
      const type = new FixedSizeList(2, new Field("item", new Float32(), true));
      return { action: vectorFromArray(rows, type) };
    });
    await assert.rejects(readDataset(root), (error: DatasetError) => {
      assert.equal(error.episodeIndex, 2);
      assert.equal(error.frameIndex, 4);
      assert.match(error.message, /episode 2: column 'action': row 4 is null/);
      return true;
    });
  });

  test("a feature whose stored shape differs from meta/info.json", async () => {
    const root = await copyOf("v2.1");
    await editJson(join(root, "meta/info.json"), (info) => {
      (info.features as Record<string, { shape: number[] }>)["observation.state"] = {
        ...(info.features as Record<string, { shape: number[] }>)["observation.state"],
        shape: [3],
      } as { shape: number[] };
    });
    await assert.rejects(
      readDataset(root),
      /episode 0: column 'observation\.state': rows hold 2 values, expected 3/,
    );
  });

  test("an episode whose length in meta does not match its frames", async () => {
    const root = await copyOf("v2.1");
    const path = join(root, "meta/episodes.jsonl");
    const lines = (await readFile(path, "utf8"))
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    lines[1].length = FRAMES + 5;
    await writeFile(path, lines.map((line) => JSON.stringify(line)).join("\n"));
    await assert.rejects(
      readDataset(root),
      new RegExp(
        "episode 1 has 20 frames in data/chunk-000/episode_000001\\.parquet but 25 in meta; " +
          "re-export the dataset",
      ),
    );
  });

  test("timestamps not spaced 1/fps within tolerance_s", async () => {
    const root = await copyOf("v3.0");
    await rewriteParquet(join(root, "data/chunk-000/file-000.parquet"), (table) => {
      const timestamps = Float32Array.from(table.getChild("timestamp")?.toArray() as Float32Array);
      timestamps[FRAMES + 9] = (timestamps[FRAMES + 9] as number) + 0.002;
      return { timestamp: makeVector(timestamps) };
    });
    await assert.rejects(readDataset(root), (error: DatasetError) => {
      assert.equal(error.episodeIndex, 1);
      assert.equal(error.frameIndex, 9);
      assert.match(
        error.message,
        new RegExp(
          "episode 1 frame 9: timestamp 0\\.30\\d* s follows 0\\.26\\d* s, " +
            "not 1/30 s later \\(tolerance 0\\.0001 s\\)",
        ),
      );
      return true;
    });
  });

  test("fewer episodes than the configured minimum", async () => {
    await assert.rejects(
      readDataset(roots["v2.0"] as string, 5),
      /has 3 episodes; training needs at least 5/,
    );
  });

  test("an info.json that is not LeRobot's, naming the field", async () => {
    const root = await copyOf("v2.0");
    await editJson(join(root, "meta/info.json"), (info) => {
      info.codebase_version = "v1.6";
      delete info.fps;
    });
    await assert.rejects(
      readDataset(root),
      /meta\/info\.json is not LeRobot's: codebase_version: .*; fps: /,
    );
  });
});
