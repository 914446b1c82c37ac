import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import {
  buildJobMessage,
  JOB_MESSAGE_SCHEMA_PATH,
  jobMessageSchemaText,
  parseJobMessage,
  parseTrainingRequest,
  type RandomIndex,
} from "../../src/contract/index.js";
import { detailOf } from "./detail-of.js";
import { repoRoot } from "./repo-paths.js";

const REQUEST = {
  model_type: "ACT",
  dataset_name: "phospho-app/pick-and-place",
  training_params: { steps: 200 },
  user_hf_token: "hf_token",
};

/** A random source that also counts how often it was drawn from. */
function countedRandom(): { random: RandomIndex; draws: () => number } {
  let draws = 0;
  return { random: (bound) => draws++ % bound, draws: () => draws };
}

/** What a delivery carries: the message as JSON text, read back. */
function deliver(message: unknown): unknown {
  return JSON.parse(JSON.stringify(message));
}

test("builds a job with its training id, resolved name and parsed params", () => {
  const job = buildJobMessage(parseTrainingRequest(REQUEST), {
    trainingId: 42,
    namespace: "acme",
    random: countedRandom().random,
  });

  assert.deepEqual(job, {
    model_type: "ACT",
    dataset_name: "phospho-app/pick-and-place",
    model_name: "acme/ACT-pick-and-place-abcdefghij",
    training_id: 42,
    training_params: { steps: 200, save_freq: 5000 },
    private_mode: false,
    user_hf_token: "hf_token",
  });
});

test("keeps the resolved model name however often the job is validated again", () => {
  const { random, draws } = countedRandom();
  const job = buildJobMessage(parseTrainingRequest(REQUEST), { trainingId: 7, random });
  const drawsAtSubmission = draws();

  let message: unknown = deliver(job);
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const parsed = parseJobMessage(message);
    assert.equal(parsed.model_name, job.model_name);
    assert.deepEqual(parsed, job);
    message = deliver(parsed);
  }
  // Re-validation draws no randomness at all, so it cannot append a second suffix.
  assert.equal(draws(), drawsAtSubmission);
});

test("parses the params of a delivered job with the model its model_type picks", () => {
  const pi0Request = { ...REQUEST, model_type: "pi0", training_params: { epochs: 3 } };
  const job = buildJobMessage(parseTrainingRequest(pi0Request), { trainingId: 1 });
  assert.equal(job.model_type, "pi0");
  assert.equal(parseJobMessage(deliver(job)).training_params.epochs, 3);

  const tampered = { ...job, model_type: "ACT" };
  const detail = detailOf(() => parseJobMessage(deliver(tampered)));
  assert.deepEqual(
    detail.map((entry) => entry.loc.at(-1)),
    ["data_dir", "epochs", "learning_rate", "output_dir", "path_to_pi0_repo", "train_test_split"],
  );
});

test("rejects a job message without model_name or training_id", () => {
  assert.deepEqual(
    detailOf(() => parseJobMessage(REQUEST)),
    [
      { loc: ["body", "model_name"], msg: "Field required", type: "missing" },
      { loc: ["body", "training_id"], msg: "Field required", type: "missing" },
    ],
  );
});

test("rejects a job message whose model_name is not a Hub repo id", () => {
  assert.deepEqual(
    detailOf(() => parseJobMessage({ ...REQUEST, model_name: "bare-name", training_id: 1 })),
    [
      {
        loc: ["body", "model_name"],
        msg: "Value error, 'bare-name' is not a Hub repo id: expected 'owner/name'",
        type: "value_error",
      },
    ],
  );
});

test("refuses to build a job whose resolved name is not a Hub repo id", () => {
  const request = parseTrainingRequest({ ...REQUEST, model_name: "my policy" });
  assert.deepEqual(
    detailOf(() => buildJobMessage(request, { trainingId: 1, namespace: "acme" })),
    [
      {
        loc: ["body", "model_name"],
        msg:
          "Value error, 'acme/my policy' is not a Hub repo id: the name may only contain " +
          "letters, digits, '-', '_' and '.'",
        type: "value_error",
      },
    ],
  );
});

test("refuses a negative or fractional training id", () => {
  const request = parseTrainingRequest(REQUEST);
  assert.deepEqual(
    detailOf(() => buildJobMessage(request, { trainingId: -1 })),
    [
      {
        loc: ["body", "training_id"],
        msg: "Input should be greater than or equal to 0",
        type: "greater_than_equal",
      },
    ],
  );
  assert.equal(
    detailOf(() => buildJobMessage(request, { trainingId: 1.5 }))[0]?.type,
    "int_from_float",
  );
});

test("ships a JSON Schema file that matches the job message schema", () => {
  const path = join(repoRoot, JOB_MESSAGE_SCHEMA_PATH);
  let committed: string;
  try {
    committed = readFileSync(path, "utf8");
  } catch (error) {
    assert.fail(`cannot read ${path} (${(error as Error).message}); run \`npm run build\``);
  }
  assert.equal(
    committed,
    jobMessageSchemaText(),
    `${JOB_MESSAGE_SCHEMA_PATH} is stale; run \`npm run build\` and commit it`,
  );
});

test("describes in the JSON Schema what a producer must send", () => {
  const schema = JSON.parse(jobMessageSchemaText());
  assert.deepEqual(schema.required, ["model_type", "dataset_name", "model_name", "training_id"]);
  assert.deepEqual(Object.keys(schema.$defs).sort(), [
    "TrainingParamsAct",
    "TrainingParamsActWithBbox",
    "TrainingParamsGr00T",
    "TrainingParamsPi0",
  ]);
  assert.equal(schema.properties.training_id.minimum, 0);
});
