import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CameraFrames, loadDataset } from "../../src/dataset/load-dataset.js";
import { recordReachEpisodes } from "../../src/dataset/sample/record-reach-episodes.js";
import { writeSampleDataset } from "../../src/dataset/sample/write-sample-dataset.js";
import { HubServer } from "../helpers/hub-server.js";

const EPISODES = 3;
const FRAMES = 12;
const SIZE = { width: 64, height: 48 };

let workDir: string;
let framesDir: string;

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), "robotrain-load-"));
  framesDir = join(workDir, "frames");
});
after(() => rm(workDir, { recursive: true, force: true }));

const rendered = recordReachEpisodes({
  episodes: EPISODES,
  framesPerEpisode: FRAMES,
  fps: 30,
  cameras: ["front", "top"],
  seed: 0,
  ...SIZE,
});

/** Mean absolute difference between frame `row` of a camera and a rendered frame. */
function frameError(
  camera: CameraFrames,
  row: number,
  expected: Uint8Array,
  expectedRow: number,
): number {
  const bytes = camera.height * camera.width * 3;
  const got = camera.pixels.subarray(row * bytes, (row + 1) * bytes);
  const want = expected.subarray(expectedRow * bytes, (expectedRow + 1) * bytes);
  let sum = 0;
  for (let i = 0; i < bytes; i++) sum += Math.abs((got[i] as number) - (want[i] as number));
  return sum / bytes;
}

/** Every row holds its own frame: closer to it than to the same frame of another episode. */
function assertFramesInPlace(camera: CameraFrames, expected: Uint8Array): void {
  for (let row = 0; row < EPISODES * FRAMES; row++) {
    const own = frameError(camera, row, expected, row);
    const other = frameError(camera, row, expected, (row + FRAMES) % (EPISODES * FRAMES));
    // Lossy yuv420p encoding leaves a few levels of error; another episode's frame is far off.
    assert.ok(own < 6, `${camera.key} row ${row} is ${own.toFixed(2)} levels off its frame`);
    assert.ok(own < other, `${camera.key} row ${row} looks like another episode's frame`);
  }
}

async function sample(name: string, options: Partial<Parameters<typeof writeSampleDataset>[0]>) {
  const output = join(workDir, name);
  await writeSampleDataset({
    output,
    episodes: EPISODES,
    framesPerEpisode: FRAMES,
    version: "v2.1",
    ...SIZE,
    ...options,
  });
  return output;
}

describe("loadDataset", () => {
  for (const version of ["v2.1", "v3.0"] as const) {
    test(`puts every camera's video frames in the rows of their frames (${version})`, async () => {
      const source = await sample(`video-${version}`, { version, cameras: 2 });
      const dataset = await loadDataset({ source, framesDir });
      assert.deepEqual(
        dataset.cameras.map((camera) => [camera.key, camera.height, camera.width]),
        [
          ["observation.images.front", SIZE.height, SIZE.width],
          ["observation.images.top", SIZE.height, SIZE.width],
        ],
      );
      assertFramesInPlace(
        dataset.cameras[0] as CameraFrames,
        rendered.images.get("front") as Uint8Array,
      );
      assertFramesInPlace(
        dataset.cameras[1] as CameraFrames,
        rendered.images.get("top") as Uint8Array,
      );
      assert.equal(dataset.revision, "local");
    });
  }

  test("reuses the frame cache on the next load, and decodes again when a video changes", async () => {
    const source = await sample("reuse", { cameras: 1 });
    const first = await loadDataset({ source, framesDir });
    assert.equal(first.cameras[0]?.reused, false);
    const second = await loadDataset({ source, framesDir });
    assert.equal(second.cameras[0]?.reused, true);
    assert.deepEqual(second.cameras[0]?.pixels, first.cameras[0]?.pixels);

    await sample("reuse", { cameras: 1, seed: 5 }); // other episodes in the same files
    const third = await loadDataset({ source, framesDir });
    assert.equal(third.cameras[0]?.reused, false);
  });

  test("resizes video frames while decoding and parquet images while loading", async () => {
    const small = { width: 32, height: 24 };
    for (const storage of ["video", "image"] as const) {
      const source = await sample(`resize-${storage}`, { storage, cameras: 1 });
      const dataset = await loadDataset({ source, framesDir, imageSize: small });
      const camera = dataset.cameras[0] as CameraFrames;
      assert.deepEqual([camera.height, camera.width], [24, 32], storage);
      assert.equal(camera.pixels.length, EPISODES * FRAMES * 24 * 32 * 3, storage);
    }
  });

  test("takes parquet images as they are stored when no size is asked for", async () => {
    const source = await sample("images", { storage: "image", cameras: 2 });
    const dataset = await loadDataset({ source, framesDir, cameras: ["observation.images.top"] });
    assert.deepEqual(
      dataset.cameras.map((camera) => camera.key),
      ["observation.images.top"],
    );
    assert.deepEqual(dataset.cameras[0]?.pixels, rendered.images.get("top"));
  });

  test("refuses a camera the dataset does not have, listing those it has", async () => {
    const source = await sample("cameras", { cameras: 1 });
    await assert.rejects(
      loadDataset({ source, framesDir, cameras: ["observation.images.wrist"] }),
      /has no camera 'observation\.images\.wrist' \(its cameras: observation\.images\.front\)/,
    );
  });

  test("downloads a dataset through the Hub's routes, then trains from the cache", async () => {
    const folder = await sample("hub", { version: "v3.0", cameras: 2 });
    const hub = await HubServer.start();
    try {
      const commit = await hub.addRepo({ type: "dataset", id: "sim/reach", folder });
      const cacheDir = join(workDir, "hf-cache");
      const dataset = await loadDataset({
        source: "sim/reach",
        hubUrl: hub.url,
        accessToken: "",
        cacheDir,
        framesDir,
        cameras: ["observation.images.front"],
      });
      assert.equal(dataset.commit, commit.sha);
      assert.ok(dataset.meta.root.startsWith(join(cacheDir, "datasets--sim--reach", "snapshots")));
      assert.equal(dataset.frames.state.length, EPISODES * FRAMES * 2);
      assertFramesInPlace(
        dataset.cameras[0] as CameraFrames,
        rendered.images.get("front") as Uint8Array,
      );
      const fetched = hub.fileDownloads().map((record) => record.path);
      assert.ok(
        fetched.some((path) => path.endsWith("observation.images.front/chunk-000/file-000.mp4")),
      );
      assert.ok(
        !fetched.some((path) => path.includes("observation.images.top")),
        "fetched an unused camera",
      );
    } finally {
      await hub.close();
    }
  });
});
