import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fetchedPath, fetchModelFiles, ModelFetchError } from "../../src/hub/fetch-model-files.js";
import { HubServer } from "../helpers/hub-server.js";

describe("fetchModelFiles", () => {
  let hub: HubServer;
  let scratch: string;
  const weights = Buffer.from(Array.from({ length: 4096 }, (_, i) => i % 251));

  before(async () => {
    hub = await HubServer.start();
    scratch = await mkdtemp(join(tmpdir(), "robotrain-model-fetch-"));
    const folder = join(scratch, "repo");
    await mkdir(join(folder, "sub"), { recursive: true });
    await writeFile(join(folder, "config.json"), '{"type": "act"}\n');
    await writeFile(join(folder, "model.safetensors"), weights);
    await writeFile(join(folder, "sub", "notes.md"), "not asked for\n");
    await hub.addRepo({ type: "model", id: "lab/policy", folder });
  });
  after(async () => {
    await hub.close();
    await rm(scratch, { recursive: true, force: true });
  });

  const params = (cacheDir: string) => ({
    repoId: "lab/policy",
    files: ["config.json", "model.safetensors"],
    hubUrl: hub.url,
    accessToken: "",
    cacheDir,
    retryDelayMs: 1,
  });

  test("fetches the files asked for into the Hugging Face cache, once", async () => {
    const cacheDir = join(scratch, "cache-once");
    const fetched = await fetchModelFiles(params(cacheDir));
    assert.match(fetched.root, /models--lab--policy\/snapshots\/[0-9a-f]{40}$/);
    assert.deepEqual(await readFile(fetchedPath(fetched, "model.safetensors")), weights);
    assert.equal(await readFile(fetchedPath(fetched, "config.json"), "utf8"), '{"type": "act"}\n');

    const downloads = hub.fileDownloads().length;
    const again = await fetchModelFiles(params(cacheDir));
    assert.equal(again.root, fetched.root);
    assert.equal(hub.fileDownloads().length, downloads, "a cached file was downloaded again");
  });

  test("retries a Hub that answers 503, then fetches", async () => {
    hub.failNext(2, { status: 503 }, (_method, path) => path.includes("/resolve/"));
    const fetched = await fetchModelFiles(params(join(scratch, "cache-retry")));
    assert.deepEqual(await readFile(fetchedPath(fetched, "model.safetensors")), weights);
  });

  test("names the files a repo lacks, and does not retry", async () => {
    const error = await fetchModelFiles({
      ...params(join(scratch, "cache-missing")),
      files: ["config.json", "policy.onnx"],
    }).catch((caught: unknown) => caught);
    assert.ok(error instanceof ModelFetchError);
    assert.equal(error.retryable, false);
    assert.match(error.message, /model lab\/policy: has no policy\.onnx at [0-9a-f]{8}/);
  });

  test("says a repo that does not exist is not there, permanently", async () => {
    const error = await fetchModelFiles({
      ...params(join(scratch, "cache-none")),
      repoId: "lab/nothing",
    }).catch((caught: unknown) => caught);
    assert.ok(error instanceof ModelFetchError);
    assert.equal(error.retryable, false);
    assert.equal(error.httpStatus, 404);
    assert.match(error.message, /resolving revision 'main' failed: no such repo or revision/);
  });
});
