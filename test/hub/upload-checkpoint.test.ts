import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { downloadFile, fileExists, listFiles } from "@huggingface/hub";
import type { UploadProgress } from "../../src/hub/commit-changed-files.js";
import { checkpointBranch, uploadCheckpoint } from "../../src/hub/upload-checkpoint.js";
import {
  HubUploadRefusedError,
  HubUploadUnavailableError,
  UploadTargetError,
} from "../../src/hub/upload-errors.js";
import { resolveUploadTarget } from "../../src/hub/upload-target.js";
import { HubServer } from "../helpers/hub-server.js";
import { writeTrainingRun } from "../helpers/training-run.js";

const WORKER_TOKEN = "hf_workerTokenThatMustStaySecret01";
const USER_TOKEN = "hf_userTokenThatMustStaySecret0002";

describe("uploadCheckpoint", () => {
  let hub: HubServer;
  let outputDir: string;
  let repoCount = 0;
  const delays: number[] = [];
  const sleep = async (delayMs: number) => {
    delays.push(delayMs);
  };

  /** A fresh repo name per test, so tests share the server but not their repos. */
  const nextRepo = (owner = "robotrain") => `${owner}/act-checkpoint-${++repoCount}`;
  const workerTarget = (modelName: string) =>
    resolveUploadTarget({
      modelName,
      privateMode: false,
      workerToken: WORKER_TOKEN,
      hubUrl: hub.url,
    });
  /** Retries wait 10 ms, then 20 ms, …, as `delays` records. */
  const uploadStep5WithRetries = (modelName: string) =>
    uploadCheckpoint({
      target: workerTarget(modelName),
      outputDir,
      step: 5,
      retryDelayMs: 10,
      sleep,
    });
  const checkpointFile = (step: number, name: string) =>
    join(outputDir, "checkpoints", String(step).padStart(6, "0"), "pretrained_model", name);

  before(async () => {
    hub = await HubServer.start();
    hub.grantWrite(WORKER_TOKEN, ["robotrain"]);
    hub.grantWrite(USER_TOKEN, ["alice"]);
    outputDir = await mkdtemp(join(tmpdir(), "robotrain-upload-"));
    await writeTrainingRun(outputDir, { steps: 10, checkpointSteps: [5, 10] });
  });

  after(async () => {
    await hub.close();
    await rm(outputDir, { recursive: true, force: true });
  });

  test("names a checkpoint's branch after its step, with a prefix", () => {
    assert.equal(checkpointBranch(300), "step-000300");
    assert.equal(checkpointBranch(1_234_567), "step-1234567");
  });

  test("uploads a checkpoint to its step branch and reads back byte-identical", async () => {
    const modelName = nextRepo();
    const progress: UploadProgress[] = [];
    const result = await uploadCheckpoint({
      target: workerTarget(modelName),
      outputDir,
      step: 5,
      sleep,
      onProgress: (event) => progress.push(event),
    });
    assert.deepEqual(
      progress.filter((event) => "phase" in event).map((event) => event.phase),
      ["preuploading", "uploadingLargeFiles", "committing"],
    );
    assert.ok(
      progress.some(
        (event) =>
          "path" in event &&
          event.path === "model.safetensors" &&
          event.state === "uploading" &&
          event.fraction === 1,
      ),
    );

    assert.equal(result.branch, "step-000005");
    assert.equal(result.alreadyUploaded, false);
    assert.match(result.commit ?? "", /^[0-9a-f]{40}$/);
    assert.deepEqual(result.uploaded, ["config.json", "model.safetensors", "train_config.json"]);

    const repo = { type: "model" as const, name: modelName };
    const listing = [];
    for await (const entry of listFiles({ repo, revision: result.branch, hubUrl: hub.url })) {
      listing.push(entry);
    }
    const weights = listing.find((entry) => entry.path === "model.safetensors");
    assert.ok(weights?.lfs, "model.safetensors goes through Git LFS");
    const exists = (path: string) =>
      fileExists({ repo, path, revision: result.branch, hubUrl: hub.url });
    assert.equal(await exists("model.safetensors"), true);
    assert.equal(await exists("README.md"), false);

    const expected: Record<string, string> = {
      "config.json": checkpointFile(5, "config.json"),
      "model.safetensors": checkpointFile(5, "model.safetensors"),
      "train_config.json": join(outputDir, "train_config.json"),
    };
    for (const [path, localPath] of Object.entries(expected)) {
      const blob = await downloadFile({ repo, path, revision: result.branch, hubUrl: hub.url });
      assert.ok(blob, `${path} is on ${result.branch}`);
      const downloaded = Buffer.from(await blob.arrayBuffer());
      assert.ok(downloaded.equals(await readFile(localPath)), `${path} is byte-identical`);
    }
  });

  test("does not upload a checkpoint twice; a later step gets its own branch", async () => {
    const modelName = nextRepo();
    const target = workerTarget(modelName);
    await uploadCheckpoint({ target, outputDir, step: 5, sleep });
    const again = await uploadCheckpoint({ target, outputDir, step: 5, sleep });

    assert.equal(again.alreadyUploaded, true);
    assert.equal(again.commit, undefined);
    assert.deepEqual(again.uploaded, []);
    assert.equal(hub.commits(modelName).length, 1);

    const later = await uploadCheckpoint({ target, outputDir, step: 10, sleep });
    assert.equal(later.branch, "step-000010");
    assert.equal(later.alreadyUploaded, false);
    assert.equal(hub.commits(modelName).length, 2);
    const repo = hub.store.get("model", modelName)!;
    assert.deepEqual([...repo.branches.keys()].sort(), ["main", "step-000005", "step-000010"]);
  });

  test("retries after the Hub answers 503 and uploads once", async () => {
    const modelName = nextRepo();
    delays.length = 0;
    hub.failNext(
      2,
      { status: 503 },
      (method, path) => method === "POST" && path.includes("/commit/"),
    );

    const result = await uploadStep5WithRetries(modelName);
    assert.equal(result.alreadyUploaded, false);
    assert.deepEqual(delays, [10, 20]);
    assert.equal(hub.commits(modelName).length, 1);
  });

  test("gives up after the retries with an error that lets the job be retried", async () => {
    const modelName = nextRepo();
    delays.length = 0;
    hub.failNext(10, { status: 503 }, (_method, path) => path.includes("/preupload/"));

    const upload = uploadCheckpoint({
      target: workerTarget(modelName),
      outputDir,
      step: 5,
      retries: 2,
      retryDelayMs: 10,
      sleep,
    });
    await assert.rejects(upload, (error: unknown) => {
      assert.ok(error instanceof HubUploadUnavailableError);
      assert.equal(error.retryable, true);
      assert.equal(error.attempts, 3);
      assert.match(error.message, /committing to step-000005 failed after 3 tries: .*HTTP 503/);
      return true;
    });
    hub.clearFaults();
    assert.deepEqual(delays, [10, 20]);
    assert.equal(hub.commits(modelName).length, 0);
  });

  test("retries after a dropped connection during the LFS upload", async () => {
    const modelName = nextRepo();
    delays.length = 0;
    hub.failNext(1, { reset: true }, (method) => method === "PUT");

    const result = await uploadStep5WithRetries(modelName);
    assert.equal(result.alreadyUploaded, false);
    assert.deepEqual(delays, [10]);
    const stored = hub.store.resolve(hub.store.get("model", modelName)!, "step-000005");
    const weights = stored?.files.get("model.safetensors");
    assert.ok(weights?.content.equals(await readFile(checkpointFile(5, "model.safetensors"))));
  });

  test("fails at once on a 403, without retrying, saying what to do", async () => {
    const modelName = nextRepo();
    delays.length = 0;
    const isCommit = (method: string, path: string) =>
      method === "POST" && path === `/api/models/${modelName}/commit/step-000005`;
    hub.failNext(1, { status: 403 }, isCommit);

    const upload = uploadCheckpoint({ target: workerTarget(modelName), outputDir, step: 5, sleep });
    await assert.rejects(upload, (error: unknown) => {
      assert.ok(error instanceof HubUploadRefusedError);
      assert.equal(error.retryable, false);
      assert.equal(error.httpStatus, 403);
      assert.match(error.requestId ?? "", /^Root=/);
      assert.match(error.message, /committing to step-000005 was refused .* HTTP 403/);
      assert.match(error.message, /write access/);
      return true;
    });
    assert.deepEqual(delays, []);
    assert.equal(hub.requests.filter((record) => isCommit(record.method, record.path)).length, 1);
  });

  test("is refused when the token may not write to the repo's owner", async () => {
    const target = resolveUploadTarget({
      modelName: nextRepo("someone-else"),
      privateMode: false,
      workerToken: WORKER_TOKEN,
      hubUrl: hub.url,
    });
    await assert.rejects(uploadCheckpoint({ target, outputDir, step: 5, sleep }), (error) => {
      assert.ok(error instanceof HubUploadRefusedError);
      assert.equal(error.httpStatus, 403);
      assert.match(error.message, /creating the repo was refused/);
      assert.ok(!error.message.includes(WORKER_TOKEN));
      return true;
    });
  });

  test("uploads a private_mode job's checkpoint with its own token, privately", async () => {
    const modelName = nextRepo("alice");
    const target = resolveUploadTarget({
      modelName,
      privateMode: true,
      userHfToken: USER_TOKEN,
      workerToken: WORKER_TOKEN,
      hubUrl: hub.url,
    });
    assert.equal(target.tokenSource, "job");
    await uploadCheckpoint({ target, outputDir, step: 5, sleep });

    assert.equal(hub.store.get("model", modelName)?.private, true);
    const repo = { type: "model" as const, name: modelName };
    const read = async (accessToken?: string) => {
      for await (const _ of listFiles({
        repo,
        revision: "step-000005",
        hubUrl: hub.url,
        accessToken,
      })) {
        // Reading the first page is enough to be let in or refused.
      }
    };
    await read(USER_TOKEN);
    await assert.rejects(read(), /401|Invalid username or password/);
    await assert.rejects(read(WORKER_TOKEN), /403|do not have access/);
  });

  test("refuses a private_mode job without a user token, or an existing public repo", async () => {
    const missing = () =>
      resolveUploadTarget({
        modelName: "alice/act",
        privateMode: true,
        userHfToken: null,
        workerToken: WORKER_TOKEN,
        hubUrl: hub.url,
      });
    assert.throws(missing, (error: unknown) => {
      assert.ok(error instanceof UploadTargetError);
      assert.match(error.message, /private_mode but carries no user_hf_token/);
      return true;
    });

    const modelName = nextRepo("alice");
    const publicTarget = resolveUploadTarget({
      modelName,
      privateMode: false,
      workerToken: USER_TOKEN,
      hubUrl: hub.url,
    });
    await uploadCheckpoint({ target: publicTarget, outputDir, step: 5, sleep });
    const privateTarget = resolveUploadTarget({
      modelName,
      privateMode: true,
      userHfToken: USER_TOKEN,
      hubUrl: hub.url,
    });
    await assert.rejects(
      uploadCheckpoint({ target: privateTarget, outputDir, step: 10, sleep }),
      /the repo already exists and is public/,
    );
  });
});
