import assert from "node:assert/strict";
import { test } from "node:test";
import { StartTrainingResponse, startTrainingResponse } from "../../src/contract/index.js";

const JOB = {
  training_id: 42,
  model_name: "acme/ACT-pick-and-place-abcdefghij",
  model_type: "ACT",
  dataset_name: "phospho-app/pick-and-place",
} as const;

test("answers ok with the model's URL on huggingface.co by default", () => {
  const response = startTrainingResponse(JOB);
  assert.deepEqual(response, {
    status: "ok",
    training_id: 42,
    model_url: "https://huggingface.co/acme/ACT-pick-and-place-abcdefghij",
    message:
      "Training 42 queued: ACT on phospho-app/pick-and-place; the model will be uploaded to " +
      "https://huggingface.co/acme/ACT-pick-and-place-abcdefghij",
  });
  assert.deepEqual(StartTrainingResponse.parse(response), response);
});

test("puts the model URL under another Hub endpoint, with or without a final slash", () => {
  for (const endpoint of ["http://127.0.0.1:8080", "http://127.0.0.1:8080/"]) {
    assert.equal(
      startTrainingResponse(JOB, endpoint).model_url,
      "http://127.0.0.1:8080/acme/ACT-pick-and-place-abcdefghij",
    );
  }
});

test("refuses a Hub endpoint that is not an http(s) URL", () => {
  assert.throws(() => startTrainingResponse(JOB, "huggingface.co"), /not an http\(s\) URL/);
});

test("fills in the spec's default status when a response omits it", () => {
  assert.equal(StartTrainingResponse.parse({ training_id: null }).status, "ok");
});
