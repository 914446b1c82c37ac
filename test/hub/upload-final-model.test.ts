import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { PNG } from "pngjs";
import { parse as parseYaml } from "yaml";
import { type JobMessage, parseJobMessage } from "../../src/contract/job-message.js";
import { uploadCheckpoint } from "../../src/hub/upload-checkpoint.js";
import { HubUploadRefusedError, MissingRunFileError } from "../../src/hub/upload-errors.js";
import { uploadFinalModel } from "../../src/hub/upload-final-model.js";
import { resolveUploadTarget } from "../../src/hub/upload-target.js";
import { HubServer } from "../helpers/hub-server.js";
import { writeTrainingRun } from "../helpers/training-run.js";

const WORKER_TOKEN = "hf_workerTokenThatMustStaySecret01";
const USER_TOKEN = "hf_userTokenThatMustStaySecret0002";
const WANDB_KEY = "wandbKeyThatMustStaySecret0123456789abcd";

/** A job as it arrives from the queue, carrying every secret the contract allows. */
function privateJob(modelName: string): JobMessage {
  return parseJobMessage({
    model_type: "ACT",
    dataset_name: "robotrain/reach-sample",
    model_name: modelName,
    training_id: 7,
    private_mode: true,
    user_hf_token: USER_TOKEN,
    wandb_api_key: WANDB_KEY,
  });
}

describe("uploadFinalModel", () => {
  let hub: HubServer;
  let outputDir: string;
  let onnxPath: string;
  let repoCount = 0;
  const sleep = async () => {};
  const nextRepo = (owner: string) => `${owner}/act-final-${++repoCount}`;
  const targetFor = (job: JobMessage) =>
    resolveUploadTarget({
      modelName: job.model_name,
      privateMode: job.private_mode,
      userHfToken: job.user_hf_token,
      workerToken: WORKER_TOKEN,
      hubUrl: hub.url,
    });

  before(async () => {
    hub = await HubServer.start();
    hub.grantWrite(WORKER_TOKEN, ["robotrain"]);
    hub.grantWrite(USER_TOKEN, ["alice"]);
    outputDir = await mkdtemp(join(tmpdir(), "robotrain-final-"));
    await writeTrainingRun(outputDir, { steps: 40, checkpointSteps: [20, 40] });
    // The upload moves the export's bytes as they are; what they hold is the exporter's concern.
    onnxPath = join(outputDir, "policy.onnx");
    await writeFile(onnxPath, Buffer.from("ONNX export bytes of the trained policy"));
  });

  after(async () => {
    await hub.close();
    await rm(outputDir, { recursive: true, force: true });
  });

  test("uploads the model, its card, loss curve and export to main", async () => {
    const job = { ...privateJob(nextRepo("robotrain")), private_mode: false };
    const result = await uploadFinalModel({
      target: targetFor(job),
      outputDir,
      job,
      onnxPath,
      license: "apache-2.0",
      sleep,
    });

    assert.equal(result.alreadyUploaded, false);
    const repo = hub.store.get("model", job.model_name)!;
    const main = hub.store.resolve(repo, "main")!;
    assert.equal(main.sha, result.commit);
    assert.deepEqual([...main.files.keys()].sort(), [
      ".gitattributes",
      "README.md",
      "config.json",
      "loss_curve.png",
      "model.safetensors",
      "policy.onnx",
      "train_config.json",
    ]);

    const last = join(outputDir, "checkpoints", "000040", "pretrained_model");
    const sameAs = async (path: string, localPath: string) =>
      assert.ok(main.files.get(path)?.content.equals(await readFile(localPath)), path);
    await sameAs("model.safetensors", join(last, "model.safetensors"));
    await sameAs("config.json", join(last, "config.json"));
    await sameAs("train_config.json", join(outputDir, "train_config.json"));
    await sameAs("policy.onnx", onnxPath);
    assert.ok(main.files.get("policy.onnx")?.lfs, "policy.onnx goes through Git LFS");

    const card = main.files.get("README.md")!.content.toString("utf8");
    const front = parseYaml(/^---\n([\s\S]*?)\n---\n/.exec(card)![1]!) as Record<string, unknown>;
    assert.equal(front.library_name, "lerobot");
    assert.equal(front.license, "apache-2.0");
    assert.deepEqual(front.datasets, ["robotrain/reach-sample"]);
    assert.match(card, /!\[Training loss per step\]\(loss_curve\.png\)/);
    assert.match(card, /revision="step-000040"/);

    const curve = PNG.sync.read(main.files.get("loss_curve.png")!.content);
    assert.deepEqual([curve.width, curve.height], [800, 400]);
  });

  test("does not upload the same model twice", async () => {
    const job = { ...privateJob(nextRepo("robotrain")), private_mode: false };
    const params = { target: targetFor(job), outputDir, job, onnxPath, sleep };
    await uploadFinalModel(params);
    const again = await uploadFinalModel(params);

    assert.equal(again.alreadyUploaded, true);
    assert.deepEqual(again.uploaded, []);
    assert.equal(again.unchanged.length, 6);
    assert.equal(hub.commits(job.model_name).length, 1);
  });

  test("no token or key of the job reaches any stored file, request body or error", async () => {
    const job = privateJob(nextRepo("alice"));
    const target = targetFor(job);
    assert.ok(!JSON.stringify(target).includes(USER_TOKEN));
    await uploadCheckpoint({ target, outputDir, step: 20, sleep });
    await uploadFinalModel({ target, outputDir, job, onnxPath, sleep });

    hub.failNext(1, { status: 403 }, (method) => method === "POST");
    const refused = await uploadFinalModel({ target, outputDir, job, sleep }).catch((e) => e);
    assert.ok(refused instanceof HubUploadRefusedError);

    const secrets = [USER_TOKEN, WORKER_TOKEN, WANDB_KEY];
    const repo = hub.store.get("model", job.model_name)!;
    const stored = [...repo.commits.values()].flatMap((commit) => [...commit.files.values()]);
    const texts = [
      ...stored.map((file) => file.content.toString("latin1")),
      ...hub.receivedBodies.map((body) => body.toString("latin1")),
      ...hub.receivedBodies.map((body) =>
        Buffer.from(body.toString("latin1"), "base64").toString("latin1"),
      ),
      await readFile(join(outputDir, "hub", "README.md"), "utf8"),
      refused.message,
      String(refused.cause),
      JSON.stringify(refused),
    ];
    for (const secret of secrets) {
      assert.ok(!texts.some((text) => text.includes(secret)), `${secret.slice(0, 8)}… leaked`);
    }
    // The commit lines carry file content in base64; decoded, the card is among them.
    const cardLine = hub.receivedBodies
      .map((body) => body.toString("utf8"))
      .find((body) => body.includes('"path":"README.md"'));
    assert.ok(cardLine !== undefined, "the card was sent in a commit");
  });

  test("refuses a run folder without its metrics before uploading anything", async () => {
    const unfinished = await mkdtemp(join(tmpdir(), "robotrain-unfinished-"));
    try {
      await writeTrainingRun(unfinished, { steps: 4, checkpointSteps: [4] });
      await rm(join(unfinished, "metrics.jsonl"));
      const job = { ...privateJob(nextRepo("robotrain")), private_mode: false };
      const upload = uploadFinalModel({
        target: targetFor(job),
        outputDir: unfinished,
        job,
        sleep,
      });

      await assert.rejects(upload, (error: unknown) => {
        assert.ok(error instanceof MissingRunFileError);
        assert.equal(error.retryable, false);
        assert.match(error.message, /metrics\.jsonl does not exist/);
        return true;
      });
      assert.equal(hub.commits(job.model_name).length, 0);
    } finally {
      await rm(unfinished, { recursive: true, force: true });
    }
  });
});
