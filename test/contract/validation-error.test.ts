import assert from "node:assert/strict";
import { test } from "node:test";
import {
  HTTPValidationError,
  parseTrainingRequest,
  RequestValidationError,
} from "../../src/contract/index.js";
import { RobotrainError } from "../../src/errors.js";
import { detailOf } from "./detail-of.js";

const VALID = { model_type: "ACT", dataset_name: "phospho-app/pick-and-place" };

/** The single entry of the 422 answer for `body`. */
function onlyEntry(body: unknown) {
  const detail = detailOf(() => parseTrainingRequest(body));
  assert.equal(detail.length, 1, JSON.stringify(detail));
  return detail[0];
}

function paramsEntry(trainingParams: unknown, modelType = "ACT") {
  return onlyEntry({ ...VALID, model_type: modelType, training_params: trainingParams });
}

test("reports missing required fields as FastAPI does", () => {
  assert.deepEqual(
    detailOf(() => parseTrainingRequest({})),
    [
      { loc: ["body", "model_type"], msg: "Field required", type: "missing" },
      { loc: ["body", "dataset_name"], msg: "Field required", type: "missing" },
    ],
  );
});

test("reports a missing body at loc ['body']", () => {
  assert.deepEqual(onlyEntry(undefined), { loc: ["body"], msg: "Field required", type: "missing" });
});

test("reports a body that is not an object", () => {
  for (const body of [[], "ACT", 3, null]) {
    assert.deepEqual(onlyEntry(body), {
      loc: ["body"],
      msg: "Input should be a valid dictionary or object to extract fields from",
      type: "model_attributes_type",
    });
  }
});

test("lists the model types, in order, for an unknown model_type", () => {
  assert.deepEqual(onlyEntry({ ...VALID, model_type: "diffusion" }), {
    loc: ["body", "model_type"],
    msg: "Input should be 'ACT', 'ACT_BBOX', 'gr00t', 'pi0' or 'custom'",
    type: "enum",
  });
});

test("reports a batch size of 0 as greater_than", () => {
  assert.deepEqual(paramsEntry({ batch_size: 0 }), {
    loc: ["body", "training_params", "batch_size"],
    msg: "Input should be greater than 0",
    type: "greater_than",
  });
});

test("reports a batch size above the maximum as less_than_equal", () => {
  assert.deepEqual(paramsEntry({ batch_size: 151 }), {
    loc: ["body", "training_params", "batch_size"],
    msg: "Input should be less than or equal to 150",
    type: "less_than_equal",
  });
});

test("reports a string for an integer as int_type", () => {
  assert.deepEqual(paramsEntry({ steps: "100" }), {
    loc: ["body", "training_params", "steps"],
    msg: "Input should be a valid integer",
    type: "int_type",
  });
});

test("reports a fraction for an integer as int_from_float", () => {
  assert.deepEqual(paramsEntry({ save_freq: 2.5 }), {
    loc: ["body", "training_params", "save_freq"],
    msg: "Input should be a valid integer, got a number with a fractional part",
    type: "int_from_float",
  });
});

test("reports an integer beyond the safe range once, by its bound", () => {
  assert.deepEqual(paramsEntry({ steps: 2 ** 60 }), {
    loc: ["body", "training_params", "steps"],
    msg: "Input should be less than or equal to 9007199254740991",
    type: "less_than_equal",
  });
});

test("reports a string for a float as float_type", () => {
  assert.deepEqual(paramsEntry({ learning_rate: "fast" }, "gr00t"), {
    loc: ["body", "training_params", "learning_rate"],
    msg: "Input should be a valid number",
    type: "float_type",
  });
});

test("reports a number for a string as string_type", () => {
  assert.deepEqual(onlyEntry({ ...VALID, model_name: 42 }), {
    loc: ["body", "model_name"],
    msg: "Input should be a valid string",
    type: "string_type",
  });
});

test("reports a null for a boolean as bool_type", () => {
  assert.deepEqual(onlyEntry({ ...VALID, private_mode: null }), {
    loc: ["body", "private_mode"],
    msg: "Input should be a valid boolean",
    type: "bool_type",
  });
});

test("reports short strings with pydantic's wording", () => {
  assert.deepEqual(paramsEntry({ image_key: "" }, "ACT_BBOX"), {
    loc: ["body", "training_params", "image_key"],
    msg: "String should have at least 1 character",
    type: "string_too_short",
  });
  assert.deepEqual(paramsEntry({ target_detection_instruction: "red" }, "ACT_BBOX"), {
    loc: ["body", "training_params", "target_detection_instruction"],
    msg: "String should have at least 4 characters",
    type: "string_too_short",
  });
});

test("locates an error inside a list by its index", () => {
  assert.deepEqual(paramsEntry({ image_keys_to_keep: ["main", 3] }, "ACT_BBOX"), {
    loc: ["body", "training_params", "image_keys_to_keep", 1],
    msg: "Input should be a valid string",
    type: "string_type",
  });
});

test("reports every problem of a request at once", () => {
  const detail = detailOf(() =>
    parseTrainingRequest({
      model_type: "ACT",
      dataset_name: "not-a-repo-id",
      training_params: { batch_size: 0, steps: 0 },
    }),
  );
  assert.deepEqual(
    detail.map((entry) => [entry.loc.join("."), entry.type]),
    [
      ["body.dataset_name", "value_error"],
      ["body.training_params.batch_size", "greater_than"],
      ["body.training_params.steps", "greater_than"],
    ],
  );
});

test("carries the detail as a permanent RobotrainError", () => {
  const error = new RequestValidationError([
    { loc: ["body", "model_type"], msg: "Field required", type: "missing" },
  ]);
  assert.ok(error instanceof Error);
  assert.ok(error instanceof RobotrainError);
  assert.equal(error.name, "RequestValidationError");
  assert.equal(error.retryable, false);
  assert.match(
    error.message,
    /^1 validation error; .*body\.model_type: Field required \[missing\]/,
  );
});

test("gives FastAPI's 422 body, which the spec's HTTPValidationError accepts", () => {
  try {
    parseTrainingRequest({ model_type: "ACT" });
    assert.fail("the request was accepted");
  } catch (error) {
    assert.ok(error instanceof RequestValidationError);
    const body = error.toHttpValidationError();
    assert.deepEqual(body, {
      detail: [{ loc: ["body", "dataset_name"], msg: "Field required", type: "missing" }],
    });
    assert.deepEqual(HTTPValidationError.parse(body), body);
  }
});

test("keeps tokens out of the error message and detail", () => {
  // The token fails too (a list, not a string), so its own error is where it could leak.
  const secrets = { user_hf_token: ["hf_secret_token"], wandb_api_key: "wandb_secret_key" };
  try {
    parseTrainingRequest({ ...secrets, model_type: "nope", dataset_name: "x" });
    assert.fail("the request was accepted");
  } catch (error) {
    assert.ok(error instanceof RequestValidationError);
    assert.deepEqual(
      error.detail.map((entry) => entry.loc.at(-1)),
      ["model_type", "dataset_name", "user_hf_token"],
    );
    const shown = error.message + JSON.stringify(error.toHttpValidationError());
    assert.doesNotMatch(shown, /secret/);
  }
});
