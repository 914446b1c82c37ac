import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readFile,
  readlink,
  realpath,
  rm,
  stat,
  writeFile,
} from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { downloadFile, downloadFileToCacheDir, modelInfo, scanCacheDir } from "@huggingface/hub";
import { resolveDatasetSource } from "../../src/dataset/dataset-source.js";
import {
  type FetchDatasetParams,
  type FetchProgress,
  fetchDataset,
} from "../../src/dataset/fetch-dataset.js";
import {
  CacheWriteError,
  DatasetAccessError,
  DatasetNotFoundError,
  DatasetSourceError,
  HubUnavailableError,
  NotLeRobotDatasetError,
  UnknownCameraError,
} from "../../src/dataset/fetch-errors.js";
import { defaultHubCacheDir } from "../../src/dataset/hub-cache.js";
import { gitBlobOid, hubFile } from "../helpers/hub-repo-store.js";
import { HubServer } from "../helpers/hub-server.js";

const MAIN = "observation.images.main";
const WRIST = "observation.images.wrist";

/** Files of a small LeRobot dataset; contents are placeholders, fetching does not parse them. */
function datasetFiles(version: "v2.1" | "v3.0"): Record<string, Buffer | string> {
  const video = { dtype: "video", shape: [48, 64, 3], names: ["height", "width", "channels"] };
  const info = {
    codebase_version: version,
    robot_type: "so100",
    fps: 30,
    total_episodes: 1,
    total_frames: 40,
    chunks_size: 1000,
    data_path:
      version === "v2.1"
        ? "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet"
        : "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet",
    video_path:
      version === "v2.1"
        ? "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4"
        : "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4",
    features: {
      "observation.state": { dtype: "float32", shape: [6] },
      action: { dtype: "float32", shape: [6] },
      [MAIN]: video,
      [WRIST]: video,
    },
  };
  const common = {
    "meta/info.json": JSON.stringify(info, null, 2),
    "meta/stats.json": JSON.stringify({ action: { mean: [0, 0, 0, 0, 0, 0] } }),
    "README.md": "# a test dataset\n",
    ".gitattributes": "*.parquet filter=lfs diff=lfs merge=lfs -text\n",
  };
  if (version === "v2.1") {
    return {
      ...common,
      "meta/episodes.jsonl": '{"episode_index": 0, "tasks": ["reach"], "length": 40}\n',
      "meta/tasks.jsonl": '{"task_index": 0, "task": "reach"}\n',
      "data/chunk-000/episode_000000.parquet": randomBytes(3000),
      [`videos/chunk-000/${MAIN}/episode_000000.mp4`]: randomBytes(5000),
      [`videos/chunk-000/${WRIST}/episode_000000.mp4`]: randomBytes(5000),
    };
  }
  return {
    ...common,
    "meta/tasks.parquet": randomBytes(400),
    "meta/episodes/chunk-000/file-000.parquet": randomBytes(900),
    "data/chunk-000/file-000.parquet": randomBytes(3000),
    [`videos/${MAIN}/chunk-000/file-000.mp4`]: randomBytes(5000),
    [`videos/${WRIST}/chunk-000/file-000.mp4`]: randomBytes(5000),
  };
}

async function writeFolder(folder: string, files: Record<string, Buffer | string>) {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(folder, path)), { recursive: true });
    await writeFile(join(folder, path), content);
  }
  return folder;
}

let workDir: string;
let hub: HubServer;
let v21Folder: string;
let v30Folder: string;
let repoCount = 0;
const TOKEN = `hf_${"a".repeat(34)}`;

/** Delays asked of `sleep`, in milliseconds; none is waited, so retry tests stay fast. */
const delays: number[] = [];
const recordDelay = async (delayMs: number) => {
  delays.push(delayMs);
};

/** A fresh repo id and an empty cache, so tests do not see each other's downloads. */
async function freshRepo(folder: string, access: { private?: boolean; token?: string } = {}) {
  repoCount += 1;
  const id = `robotrain-test/dataset-${repoCount}`;
  const commit = await hub.addRepo({ type: "dataset", id, folder, ...access });
  const cacheDir = await mkdtemp(join(workDir, "cache-"));
  const params: FetchDatasetParams = {
    repoId: id,
    hubUrl: hub.url,
    cacheDir,
    retryDelayMs: 10,
    sleep: recordDelay,
  };
  return { id, commit, cacheDir, params };
}

/** The `resolve` paths of a repo that were sent with content. */
function downloadedPaths(id: string): string[] {
  const marker = `/datasets/${id}/resolve/`;
  return hub
    .fileDownloads()
    .filter((record) => record.path.startsWith(marker))
    .map((record) => record.path.slice(marker.length).replace(/^[^/]+\//, ""));
}

/** Matches GETs of the content of `path` in dataset `id`, at any revision. */
const isDownloadOf = (id: string, path: string) => (method: string, urlPath: string) =>
  method === "GET" &&
  urlPath.startsWith(`/datasets/${id}/resolve/`) &&
  urlPath.endsWith(`/${path}`);

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

before(async () => {
  // The box's own Hub settings must not leak into these tests.
  for (const name of ["HF_TOKEN", "HF_ENDPOINT", "HF_HUB_CACHE", "HF_HOME"])
    delete process.env[name];

  workDir = await mkdtemp(join(tmpdir(), "robotrain-fetch-"));
  hub = await HubServer.start();
  v21Folder = await writeFolder(join(workDir, "v21"), datasetFiles("v2.1"));
  v30Folder = await writeFolder(join(workDir, "v30"), datasetFiles("v3.0"));
});

after(async () => {
  await hub.close();
  await rm(workDir, { recursive: true, force: true });
});

describe("fetchDataset", () => {
  test("downloads into the Hugging Face cache layout: blobs, snapshot symlinks, refs", async () => {
    const { id, commit, cacheDir, params } = await freshRepo(v21Folder);
    const events: FetchProgress[] = [];
    const result = await fetchDataset({ ...params, onProgress: (event) => events.push(event) });

    const repoFolder = join(cacheDir, `datasets--robotrain-test--${id.split("/")[1]}`);
    assert.equal(result.commit, commit.sha);
    assert.equal(result.revision, "main");
    assert.equal(result.root, join(repoFolder, "snapshots", commit.sha));
    assert.equal(await readFile(join(repoFolder, "refs", "main"), "utf8"), commit.sha);
    assert.deepEqual(result.files, [
      "data/chunk-000/episode_000000.parquet",
      "meta/episodes.jsonl",
      "meta/info.json",
      "meta/stats.json",
      "meta/tasks.jsonl",
      `videos/chunk-000/${MAIN}/episode_000000.mp4`,
      `videos/chunk-000/${WRIST}/episode_000000.mp4`,
    ]);

    // Each snapshot file is a relative link to a blob named as huggingface_hub names it: the
    // sha256 for LFS files (parquet, mp4), the git blob id for the others.
    for (const path of result.files) {
      const pointer = join(result.root, path);
      const source = await readFile(join(v21Folder, path));
      assert.ok((await lstat(pointer)).isSymbolicLink(), `${path} is not a symlink`);
      const target = await readlink(pointer);
      assert.ok(!target.startsWith("/"), `${path} links to the absolute ${target}`);
      const etag = /\.(parquet|mp4)$/.test(path) ? sha256(source) : gitBlobOid(source);
      assert.equal(resolve(dirname(pointer), target), join(repoFolder, "blobs", etag));
      assert.deepEqual(await readFile(pointer), source);
    }
    await assert.rejects(stat(join(result.root, "README.md")), { code: "ENOENT" });

    const last = events.at(-1);
    assert.deepEqual(last, {
      filesDone: 7,
      filesTotal: 7,
      bytesDone: last?.bytesTotal,
      bytesTotal: last?.bytesTotal,
    });
    assert.ok((last?.bytesTotal ?? 0) > 13_000);
  });

  test("reports bytes as a large file comes, not only when it is done", async () => {
    const big = await writeFolder(join(workDir, "big"), {
      ...datasetFiles("v2.1"),
      [`videos/chunk-000/${MAIN}/episode_000000.mp4`]: randomBytes(9 * 1024 * 1024),
    });
    const { params } = await freshRepo(big);
    const events: FetchProgress[] = [];
    await fetchDataset({ ...params, cameras: [MAIN], onProgress: (event) => events.push(event) });

    // Two reports 4 MiB apart inside the video, before it is counted as a done file.
    const during = events.filter(
      (event, index) => event.filesDone === (events[index - 1]?.filesDone ?? 0),
    );
    assert.ok(during.length >= 2, JSON.stringify(events));
    assert.equal(events.at(-1)?.bytesDone, events.at(-1)?.bytesTotal);
  });

  test("writes a cache @huggingface/hub reads back without asking the Hub", async () => {
    const { id, commit, cacheDir, params } = await freshRepo(v30Folder);
    await fetchDataset(params);
    const requestsBefore = hub.requests.length;

    const scan = await scanCacheDir(cacheDir);
    const [repo] = scan.repos;
    assert.equal(repo?.id.name, id);
    assert.deepEqual(
      repo?.revisions.map((revision) => [revision.commitOid, revision.refs]),
      [[commit.sha, ["main"]]],
    );

    const pointer = await downloadFileToCacheDir({
      repo: { type: "dataset", name: id },
      path: "meta/info.json",
      revision: commit.sha,
      hubUrl: hub.url,
      cacheDir,
    });
    assert.equal(
      await readFile(pointer, "utf8"),
      await readFile(join(v30Folder, "meta/info.json"), "utf8"),
    );
    assert.equal(hub.requests.length, requestsBefore);

    // A file the fetch skipped, downloaded by the library through paths-info and resolve,
    // lands in the same snapshot folder.
    const card = await downloadFileToCacheDir({
      repo: { type: "dataset", name: id },
      path: "README.md",
      revision: commit.sha,
      hubUrl: hub.url,
      cacheDir,
    });
    assert.equal(card, join(dirname(dirname(pointer)), "README.md"));
    assert.equal(await readFile(card, "utf8"), "# a test dataset\n");
  });

  test("fetches the videos of the cameras in use only, in the v2.1 and v3.0 layouts", async () => {
    const v21 = await freshRepo(v21Folder);
    const v21Result = await fetchDataset({ ...v21.params, cameras: [MAIN] });
    assert.ok(v21Result.files.includes(`videos/chunk-000/${MAIN}/episode_000000.mp4`));
    assert.ok(!v21Result.files.some((path) => path.includes(WRIST)));
    assert.ok(!downloadedPaths(v21.id).some((path) => path.includes(WRIST)));
    assert.ok(downloadedPaths(v21.id).includes("data/chunk-000/episode_000000.parquet"));

    const v30 = await freshRepo(v30Folder);
    const v30Result = await fetchDataset({ ...v30.params, cameras: [WRIST] });
    assert.deepEqual(
      v30Result.files.filter((path) => path.startsWith("videos/")),
      [`videos/${WRIST}/chunk-000/file-000.mp4`],
    );
    assert.deepEqual(downloadedPaths(v30.id).sort(), v30Result.files);
    await assert.rejects(stat(join(v30Result.root, "videos", MAIN)), { code: "ENOENT" });
  });

  test("downloads nothing the second time: the cached snapshot of the commit is used", async () => {
    const { id, params } = await freshRepo(v21Folder);
    const first = await fetchDataset(params);
    const downloadsAfterFirst = downloadedPaths(id).length;
    assert.equal(downloadsAfterFirst, first.files.length);

    const second = await fetchDataset(params);
    assert.deepEqual(second, first);
    assert.equal(downloadedPaths(id).length, downloadsAfterFirst);
  });

  test("links cached blobs into the snapshot of a new commit that kept them", async () => {
    const { id, params } = await freshRepo(v21Folder);
    const first = await fetchDataset(params);
    const downloadsBefore = downloadedPaths(id).length;

    // A new commit that edits the dataset card only, as the Hub's web editor would make.
    const repo = hub.store.get("dataset", id)!;
    const card = hubFile("README.md", Buffer.from("# edited\n"));
    const edited = hub.store.commit(repo, "main", new Map([["README.md", card]]), "Edit card");

    const second = await fetchDataset(params);
    assert.equal(second.commit, edited.sha);
    assert.notEqual(second.root, first.root);
    assert.deepEqual(second.files, first.files);
    assert.equal(downloadedPaths(id).length, downloadsBefore);
    for (const path of second.files) {
      assert.equal(await realpath(join(second.root, path)), await realpath(join(first.root, path)));
    }
  });

  test("takes a commit sha as the revision, and writes no ref for it", async () => {
    const { id, commit, cacheDir, params } = await freshRepo(v30Folder);
    const result = await fetchDataset({ ...params, revision: commit.sha });
    assert.equal(result.commit, commit.sha);
    assert.equal(result.revision, commit.sha);
    const refs = join(cacheDir, `datasets--${id.replace("/", "--")}`, "refs");
    await assert.rejects(stat(refs), { code: "ENOENT" });
  });

  test("adds only the missing camera when a later job uses one more", async () => {
    const { id, params } = await freshRepo(v21Folder);
    await fetchDataset({ ...params, cameras: [MAIN] });
    const downloadsBefore = downloadedPaths(id).length;

    await fetchDataset({ ...params, cameras: [MAIN, WRIST] });
    assert.deepEqual(downloadedPaths(id).slice(downloadsBefore), [
      `videos/chunk-000/${WRIST}/episode_000000.mp4`,
    ]);
  });

  test("uses HF_ENDPOINT when no hubUrl is given", async () => {
    const { id, commit, params } = await freshRepo(v21Folder);
    process.env.HF_ENDPOINT = `${hub.url}/`;
    try {
      const result = await fetchDataset({ ...params, hubUrl: undefined });
      assert.equal(result.commit, commit.sha);
      assert.equal(downloadedPaths(id).length, result.files.length);
    } finally {
      delete process.env.HF_ENDPOINT;
    }
  });

  test("reads a private dataset with the right token, and fails clearly without one", async () => {
    const { params } = await freshRepo(v21Folder, { private: true, token: TOKEN });

    const withoutToken = await fetchDataset(params).catch((error: unknown) => error);
    assert.ok(withoutToken instanceof DatasetAccessError, String(withoutToken));
    assert.equal(withoutToken.retryable, false);
    assert.equal(withoutToken.httpStatus, 401);
    assert.match(withoutToken.requestId ?? "", /^Root=1-/);
    assert.match(withoutToken.message, new RegExp(`${params.repoId}.*HF_TOKEN.*user_hf_token`));

    const wrongToken = `hf_${"b".repeat(34)}`;
    const refused = await fetchDataset({ ...params, accessToken: wrongToken }).catch((e) => e);
    assert.ok(refused instanceof DatasetAccessError);
    assert.equal(refused.httpStatus, 403);
    assert.match(refused.message, /refused the token given/);
    assert.ok(!refused.message.includes(wrongToken), "the message holds the token");

    const result = await fetchDataset({ ...params, accessToken: TOKEN });
    assert.equal(result.files.length, 7);

    // HF_TOKEN is the default, as for the Python tools.
    process.env.HF_TOKEN = TOKEN;
    try {
      const fromEnv = await fetchDataset({ ...params });
      assert.deepEqual(fromEnv, result);
    } finally {
      delete process.env.HF_TOKEN;
    }
  });

  test("rejects a token that is not a Hub token without sending it", async () => {
    const { params } = await freshRepo(v21Folder);
    const requestsBefore = hub.requests.length;
    const error = await fetchDataset({ ...params, accessToken: "secret-123" }).catch((e) => e);
    assert.ok(error instanceof DatasetAccessError);
    assert.match(error.message, /start with 'hf_'.*HF_TOKEN/);
    assert.ok(!error.message.includes("secret-123"));
    assert.equal(hub.requests.length, requestsBefore);
  });

  test("fails for good on a missing repo or revision, naming it and the Hub", async () => {
    const missing = await fetchDataset({
      repoId: "robotrain-test/no-such-dataset",
      hubUrl: hub.url,
      cacheDir: join(workDir, "missing-cache"),
    }).catch((error: unknown) => error);
    assert.ok(missing instanceof DatasetNotFoundError, String(missing));
    assert.equal(missing.retryable, false);
    assert.equal(missing.httpStatus, 404);
    assert.equal(missing.repoId, "robotrain-test/no-such-dataset");
    assert.ok(missing.message.includes("robotrain-test/no-such-dataset"));
    assert.ok(missing.message.includes(hub.url));

    const { params } = await freshRepo(v21Folder);
    const noRevision = await fetchDataset({ ...params, revision: "v9" }).catch((e) => e);
    assert.ok(noRevision instanceof DatasetNotFoundError);
    assert.match(noRevision.message, /has no revision 'v9'/);
  });

  test("fails for good on a repo that is not a LeRobot dataset, before fetching data", async () => {
    const noInfo = await writeFolder(join(workDir, "no-info"), {
      "data/train.parquet": randomBytes(100),
    });
    const bare = await freshRepo(noInfo);
    const bareError = await fetchDataset(bare.params).catch((error: unknown) => error);
    assert.ok(bareError instanceof NotLeRobotDatasetError, String(bareError));
    assert.equal(bareError.retryable, false);
    assert.match(bareError.message, new RegExp(`${bare.id} .*has no meta/info.json`));
    assert.deepEqual(downloadedPaths(bare.id), []);

    const oldInfo = JSON.parse(datasetFiles("v2.1")["meta/info.json"] as string);
    const oldFolder = await writeFolder(join(workDir, "old-version"), {
      ...datasetFiles("v2.1"),
      "meta/info.json": JSON.stringify({ ...oldInfo, codebase_version: "v1.6" }),
    });
    const old = await freshRepo(oldFolder);
    const oldError = await fetchDataset(old.params).catch((error: unknown) => error);
    assert.ok(oldError instanceof NotLeRobotDatasetError);
    assert.match(oldError.message, /codebase_version "v1\.6"/);
    assert.deepEqual(downloadedPaths(old.id), ["meta/info.json"]);
  });

  test("names a camera the dataset does not have", async () => {
    const { params } = await freshRepo(v21Folder);
    const error = await fetchDataset({ ...params, cameras: ["observation.images.top"] }).catch(
      (e) => e,
    );
    assert.ok(error instanceof UnknownCameraError);
    assert.match(error.message, new RegExp(`'observation.images.top' .*${MAIN}, ${WRIST}`));
  });

  test("retries 500s and a reset connection, with a delay that doubles", async () => {
    const { id, commit, params } = await freshRepo(v21Folder);
    delays.length = 0;
    hub.failNext(1, { reset: true }, (_method, path) => path.includes("/revision/"));
    hub.failNext(3, { status: 500 }, isDownloadOf(id, "data/chunk-000/episode_000000.parquet"));

    const result = await fetchDataset({ ...params, concurrency: 1 });
    assert.equal(result.commit, commit.sha);
    assert.deepEqual(delays, [10, 10, 20, 40]);
    const parquet = await readFile(join(result.root, "data/chunk-000/episode_000000.parquet"));
    assert.deepEqual(
      parquet,
      await readFile(join(v21Folder, "data/chunk-000/episode_000000.parquet")),
    );
  });

  test("retries a download cut mid-file, asking only for the bytes that did not land", async () => {
    const { id, params } = await freshRepo(v21Folder);
    const video = `videos/chunk-000/${MAIN}/episode_000000.mp4`;
    hub.failNext(1, { reset: true, afterBytes: 2000 }, isDownloadOf(id, video));

    const result = await fetchDataset(params);
    const gets = hub.requests.filter(
      (record) => record.path.startsWith(`/datasets/${id}/`) && record.path.endsWith(video),
    );
    assert.equal(gets.length, 2);
    assert.equal(gets[0]?.status, 0);

    // Almost always all 2000 bytes land and the retry asks for the rest; under load the client
    // may have read fewer, or none, when the reset errored its body stream (which drops what
    // its reader has not taken yet). Resuming from disk is pinned down by the next test.
    if (gets[1]?.status === 206) {
      const resumedAt = Number(/^bytes=(\d+)-$/.exec(gets[1].range ?? "")?.[1]);
      assert.ok(resumedAt > 0 && resumedAt <= 2000, `resumed with ${gets[1].range}`);
    } else {
      assert.deepEqual([gets[1]?.status, gets[1]?.range], [200, undefined]);
    }
    assert.deepEqual(
      await readFile(join(result.root, video)),
      await readFile(join(v21Folder, video)),
    );
  });

  test("resumes the partial download of a worker that died", async () => {
    const { id, params } = await freshRepo(v21Folder);
    const video = `videos/chunk-000/${MAIN}/episode_000000.mp4`;
    const content = await readFile(join(v21Folder, video));
    const blobs = join(params.cacheDir!, `datasets--${id.replace("/", "--")}`, "blobs");
    const deadPid = spawnSync(process.execPath, ["-e", ""]).pid;
    const partial = join(blobs, `${sha256(content)}.${hostname()}-${deadPid}.incomplete`);
    await mkdir(blobs, { recursive: true });
    await writeFile(partial, content.subarray(0, 1500));

    const result = await fetchDataset(params);
    const gets = hub.requests.filter(
      (record) => record.path.startsWith(`/datasets/${id}/`) && record.path.endsWith(video),
    );
    assert.deepEqual(
      gets.map((record) => record.range),
      ["bytes=1500-"],
    );
    assert.deepEqual(await readFile(join(result.root, video)), content);
    await assert.rejects(stat(partial), { code: "ENOENT" });
  });

  test("does not retry a file the Hub refuses, and fails the fetch at once", async () => {
    const { id, params } = await freshRepo(v21Folder);
    delays.length = 0;
    hub.failNext(1, { status: 403 }, isDownloadOf(id, "data/chunk-000/episode_000000.parquet"));

    const error = await fetchDataset(params).catch((e: unknown) => e);
    assert.ok(error instanceof DatasetAccessError, String(error));
    assert.equal(error.httpStatus, 403);
    assert.deepEqual(delays, []);
  });

  test("ends in a retryable error when the Hub keeps answering 500", async () => {
    const { params } = await freshRepo(v21Folder);
    delays.length = 0;
    hub.failNext(100, { status: 500 }, isDownloadOf(params.repoId, "meta/info.json"));

    const error = await fetchDataset({ ...params, retries: 3 }).catch((e: unknown) => e);
    hub.clearFaults();
    assert.ok(error instanceof HubUnavailableError, String(error));
    assert.equal(error.retryable, true);
    assert.equal(error.httpStatus, 500);
    assert.equal(error.attempts, 4);
    assert.match(error.requestId ?? "", /^Root=1-/);
    assert.match(error.message, /downloading meta\/info\.json failed after 4 tries: .*HTTP 500/);
    assert.deepEqual(delays, [10, 20, 40]);
  });

  test("ends in a retryable error when the Hub cannot be reached", async () => {
    const closed = await HubServer.start();
    const url = closed.url;
    await closed.close();

    const error = await fetchDataset({
      repoId: "robotrain-test/anything",
      hubUrl: url,
      cacheDir: join(workDir, "unreachable-cache"),
      retries: 1,
      sleep: recordDelay,
    }).catch((e: unknown) => e);
    assert.ok(error instanceof HubUnavailableError, String(error));
    assert.equal(error.retryable, true);
    assert.equal(error.httpStatus, undefined);
    assert.match(error.message, /could not reach the Hub/);
  });

  test("stops when the job is canceled, with the signal's reason", async () => {
    const { params } = await freshRepo(v21Folder);
    const canceled = new AbortController();
    hub.failNext(100, { status: 503 }, isDownloadOf(params.repoId, "meta/info.json"));

    const error = await fetchDataset({
      ...params,
      signal: canceled.signal,
      sleep: async () => canceled.abort(new Error("job 7 canceled")),
    }).catch((e: unknown) => e);
    hub.clearFaults();
    assert.ok(error instanceof Error);
    assert.equal(error.message, "job 7 canceled");
  });

  test("says where the cache is when it cannot be written", {
    skip: process.getuid?.() === 0 && "root writes a read-only folder all the same",
  }, async () => {
    const { params } = await freshRepo(v21Folder);
    await chmod(params.cacheDir!, 0o500);
    try {
      const error = await fetchDataset(params).catch((e: unknown) => e);
      assert.ok(error instanceof CacheWriteError, String(error));
      assert.equal(error.retryable, true);
      assert.ok(error.message.includes(params.cacheDir!));
      assert.match(error.message, /HF_HUB_CACHE/);
    } finally {
      await chmod(params.cacheDir!, 0o700);
    }
  });

  test("follows the pages of a long tree listing", async () => {
    const paged = await HubServer.start({ treePageSize: 2 });
    try {
      await paged.addRepo({ type: "dataset", id: "robotrain-test/paged", folder: v21Folder });
      const result = await fetchDataset({
        repoId: "robotrain-test/paged",
        hubUrl: paged.url,
        cacheDir: join(workDir, "paged-cache"),
      });
      assert.equal(result.files.length, 7);
      assert.ok(paged.requests.filter((record) => record.path.includes("/tree/")).length > 3);
    } finally {
      await paged.close();
    }
  });
});

describe("resolveDatasetSource", () => {
  test("uses a local dataset folder in place", async () => {
    const requestsBefore = hub.requests.length;
    const result = await resolveDatasetSource(v30Folder, { cameras: [MAIN], hubUrl: hub.url });
    assert.deepEqual(result, {
      root: v30Folder,
      repoId: v30Folder,
      revision: "local",
      commit: "local",
      files: [
        "data/chunk-000/file-000.parquet",
        "meta/episodes/chunk-000/file-000.parquet",
        "meta/info.json",
        "meta/stats.json",
        "meta/tasks.parquet",
        `videos/${MAIN}/chunk-000/file-000.mp4`,
      ],
    });
    assert.equal(hub.requests.length, requestsBefore);
  });

  test("fetches a Hub repo id", async () => {
    const { commit, params } = await freshRepo(v30Folder);
    const result = await resolveDatasetSource(params.repoId, params);
    assert.equal(result.commit, commit.sha);
  });

  test("rejects a source that is neither a dataset folder nor a repo id", async () => {
    const notId = await resolveDatasetSource("not a repo id").catch((e: unknown) => e);
    assert.ok(notId instanceof DatasetSourceError);
    assert.equal(notId.retryable, false);
    assert.match(
      notId.message,
      /'not a repo id' is not a folder on this machine, and is not a Hub/,
    );

    const emptyFolder = await mkdtemp(join(workDir, "empty-"));
    const folder = await resolveDatasetSource(emptyFolder).catch((e: unknown) => e);
    assert.ok(folder instanceof DatasetSourceError);
    assert.match(folder.message, /folder without meta\/info\.json/);
  });
});

describe("defaultHubCacheDir", () => {
  test("follows HF_HUB_CACHE, then HF_HOME, then XDG_CACHE_HOME, as huggingface_hub does", () => {
    assert.equal(defaultHubCacheDir({ HF_HUB_CACHE: "/c", HF_HOME: "/h" }), "/c");
    assert.equal(defaultHubCacheDir({ HF_HOME: "/h", XDG_CACHE_HOME: "/x" }), "/h/hub");
    assert.equal(defaultHubCacheDir({ XDG_CACHE_HOME: "/x" }), "/x/huggingface/hub");
    assert.match(defaultHubCacheDir({}), /\/\.cache\/huggingface\/hub$/);
  });
});

describe("the test Hub", () => {
  test("serves model repos at /<id>/resolve and /api/models, as the Hub does", async () => {
    const folder = await writeFolder(join(workDir, "model"), {
      "config.json": '{"type": "act"}',
      "model.safetensors": randomBytes(700),
    });
    const commit = await hub.addRepo({ type: "model", id: "robotrain-test/act-model", folder });

    const info = await modelInfo({
      name: "robotrain-test/act-model",
      hubUrl: hub.url,
      additionalFields: ["sha"],
    });
    assert.equal(info.sha, commit.sha);
    const weights = await downloadFile({
      repo: "robotrain-test/act-model",
      path: "model.safetensors",
      hubUrl: hub.url,
    });
    assert.deepEqual(
      Buffer.from(new Uint8Array(await weights!.arrayBuffer())),
      await readFile(join(folder, "model.safetensors")),
    );
    const last = hub.requests.findLast((record) => record.path.endsWith("model.safetensors"));
    assert.equal(last?.path, "/robotrain-test/act-model/resolve/main/model.safetensors");

    // The headers huggingface_hub reads from a HEAD to name the blob and find the commit.
    const weightsFile = await readFile(join(folder, "model.safetensors"));
    const url = `${hub.url}/robotrain-test/act-model/resolve/main/model.safetensors`;
    const head = await fetch(url, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("X-Repo-Commit"), commit.sha);
    assert.equal(head.headers.get("X-Linked-Etag"), `"${sha256(weightsFile)}"`);
    assert.equal(head.headers.get("X-Linked-Size"), "700");
    assert.equal(head.headers.get("Content-Length"), "700");
    const config = await fetch(url.replace("model.safetensors", "config.json"), { method: "HEAD" });
    assert.equal(config.headers.get("ETag"), `"${gitBlobOid(Buffer.from('{"type": "act"}'))}"`);
    assert.equal(config.headers.get("X-Linked-Etag"), null);
    const missing = await fetch(url.replace("model.safetensors", "nope.bin"), { method: "HEAD" });
    assert.deepEqual([missing.status, missing.headers.get("X-Error-Code")], [404, "EntryNotFound"]);
  });
});
