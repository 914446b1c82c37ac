import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { JobStore } from "../../src/worker/job-store.js";

describe("JobStore", () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), "robotrain-jobs-"));
  });
  after(() => rm(home, { recursive: true, force: true }));

  test("keeps what became of a job, keyed by its training id", async () => {
    const store = new JobStore(home);
    assert.equal(await store.read(7), undefined);
    await store.write(7, "running");
    await store.write(7, "succeeded", { repo_url: "https://hub/lab/x" });
    const state = await store.read(7);
    assert.equal(state?.status, "succeeded");
    assert.equal(state?.repo_url, "https://hub/lab/x");
    assert.equal(store.outputDir(7), join(home, "jobs", "7", "output"));
  });

  test("removes the folders of jobs that ended before the retention, and only those", async () => {
    const store = new JobStore(home);
    for (const [id, status] of [
      [1, "succeeded"],
      [2, "failed"],
      [3, "running"],
      [4, "canceled"],
    ] as const) {
      await store.write(id, status);
      await mkdir(store.outputDir(id), { recursive: true });
      await writeFile(join(store.outputDir(id), "metrics.jsonl"), "{}\n");
    }
    // Job 4 ended after the cut-off; job 3 never ended.
    const cutOff = new Date(Date.now() + 60_000);
    const fresh = await store.read(4);
    await writeFile(
      join(store.folder(4), "state.json"),
      JSON.stringify({ ...fresh, updated: new Date(Date.now() + 120_000).toISOString() }),
    );

    const removed = await store.removeEnded(cutOff);
    assert.deepEqual(removed.sort(), [1, 2, 7]);
    assert.deepEqual((await readdir(store.root)).sort(), ["3", "4"]);
  });

  test("says how much disk is free where the jobs are", async () => {
    const free = await new JobStore(home).freeBytes();
    assert.ok(Number.isSafeInteger(free) && free > 0, String(free));
  });
});
