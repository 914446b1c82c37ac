import assert from "node:assert/strict";
import { test } from "node:test";
import {
  actPolicyParams,
  knownParamsKeys,
  parseTrainingParams,
  parseTrainingRequest,
} from "../../src/contract/index.js";
import { detailOf } from "./detail-of.js";

const DATASET = "phospho-app/pick-and-place";

function paramsOf(modelType: string, trainingParams?: unknown) {
  return parseTrainingRequest({
    model_type: modelType,
    dataset_name: DATASET,
    ...(trainingParams !== undefined && { training_params: trainingParams }),
  }).training_params;
}

const ACT_DEFAULTS = { save_freq: 5000 };
const BBOX_DEFAULTS = {
  save_freq: 5000,
  image_key: "main",
  target_detection_instruction: "e.g.: green lego brick, red ball, blue plushy...",
};
const GR00T_DEFAULTS = {
  batch_size: 64,
  data_dir: "data/",
  learning_rate: 0.0001,
  num_epochs: 10,
  output_dir: "outputs/",
  save_steps: 1000,
};
const PI0_DEFAULTS = {
  data_dir: "data/",
  epochs: 10,
  learning_rate: 0.0001,
  output_dir: "outputs/",
  path_to_pi0_repo: ".",
  train_test_split: 1,
};

test("gives absent params the defaults of the model type's params model", () => {
  assert.deepEqual(paramsOf("ACT"), ACT_DEFAULTS);
  assert.deepEqual(paramsOf("ACT_BBOX"), BBOX_DEFAULTS);
  assert.deepEqual(paramsOf("gr00t"), GR00T_DEFAULTS);
  assert.deepEqual(paramsOf("pi0"), PI0_DEFAULTS);
  assert.deepEqual(paramsOf("custom"), {});
});

test("gives null params the same defaults as absent ones", () => {
  assert.deepEqual(paramsOf("ACT", null), ACT_DEFAULTS);
  assert.deepEqual(paramsOf("gr00t", null), GR00T_DEFAULTS);
  assert.deepEqual(paramsOf("pi0", null), PI0_DEFAULTS);
  assert.deepEqual(paramsOf("custom", null), {});
});

test("parses pi0 params with the pi0 model, not with ACT's", () => {
  assert.deepEqual(paramsOf("pi0", { epochs: 5, batch_size: 8 }), {
    ...PI0_DEFAULTS,
    epochs: 5,
    batch_size: 8,
  });
});

test("checks bounds against the chosen model", () => {
  assert.deepEqual(paramsOf("ACT", { batch_size: 150 }), { ...ACT_DEFAULTS, batch_size: 150 });

  assert.deepEqual(
    detailOf(() => paramsOf("gr00t", { batch_size: 150 })),
    [
      {
        loc: ["body", "training_params", "batch_size"],
        msg: "Input should be less than or equal to 128",
        type: "less_than_equal",
      },
    ],
  );
});

test("keeps an explicit null batch size on gr00t instead of its default of 64", () => {
  assert.equal(paramsOf("gr00t", { batch_size: null }).batch_size, null);
});

test("rejects gr00t params on an ACT job, naming the field", () => {
  assert.deepEqual(
    detailOf(() => paramsOf("ACT", { steps: 100, num_epochs: 3 })),
    [
      {
        loc: ["body", "training_params", "num_epochs"],
        msg:
          "Value error, 'num_epochs' is a field of TrainingParamsGr00T (model_type 'gr00t'), " +
          "not of TrainingParamsAct (model_type 'ACT'); remove it or set model_type to 'gr00t'",
        type: "value_error",
      },
    ],
  );
});

test("names every model a foreign field belongs to", () => {
  const [entry, ...rest] = detailOf(() => paramsOf("ACT", { learning_rate: 0.001 }));
  assert.equal(rest.length, 0);
  assert.deepEqual(entry?.loc, ["body", "training_params", "learning_rate"]);
  assert.equal(
    entry?.msg,
    "Value error, 'learning_rate' is a field of TrainingParamsGr00T (model_type 'gr00t') and " +
      "TrainingParamsPi0 (model_type 'pi0'), not of TrainingParamsAct (model_type 'ACT'); " +
      "remove it or change model_type",
  );
});

test("rejects bounding-box fields on a plain ACT job", () => {
  const detail = detailOf(() =>
    paramsOf("ACT", { image_key: "main", target_detection_instruction: "ball" }),
  );
  assert.deepEqual(
    detail.map((entry) => [entry.loc.at(-1), entry.type]),
    [
      ["image_key", "value_error"],
      ["target_detection_instruction", "value_error"],
    ],
  );
  assert.match(detail[0]?.msg ?? "", /TrainingParamsActWithBbox \(model_type 'ACT_BBOX'\)/);
});

test("accepts ACT's own fields on an ACT_BBOX job", () => {
  assert.deepEqual(paramsOf("ACT_BBOX", { steps: 10, batch_size: 4, save_freq: 5 }), {
    ...BBOX_DEFAULTS,
    steps: 10,
    batch_size: 4,
    save_freq: 5,
  });
});

test("rejects ACT's save_freq on a gr00t job", () => {
  const detail = detailOf(() => paramsOf("gr00t", { save_freq: 100 }));
  assert.deepEqual(detail[0]?.loc, ["body", "training_params", "save_freq"]);
  assert.match(detail[0]?.msg ?? "", /TrainingParamsAct \(model_type 'ACT'\)/);
});

test("keeps keys no model declares on the open models, for the trainer to read", () => {
  assert.deepEqual(paramsOf("ACT", { chunk_size: 100, kl_weight: 10 }), {
    ...ACT_DEFAULTS,
    chunk_size: 100,
    kl_weight: 10,
  });
  assert.deepEqual(paramsOf("gr00t", { seed: 1 }), { ...GR00T_DEFAULTS, seed: 1 });
});

test("rejects keys no model declares on pi0 as extra inputs", () => {
  assert.deepEqual(
    detailOf(() => paramsOf("pi0", { chunk_size: 100 })),
    [
      {
        loc: ["body", "training_params", "chunk_size"],
        msg: "Extra inputs are not permitted",
        type: "extra_forbidden",
      },
    ],
  );
});

test("reports an ACT field on a pi0 job once, as a field of ACT", () => {
  const detail = detailOf(() => paramsOf("pi0", { steps: 100 }));
  assert.equal(detail.length, 1);
  assert.deepEqual(detail[0]?.loc, ["body", "training_params", "steps"]);
  assert.equal(detail[0]?.type, "value_error");
  assert.match(detail[0]?.msg ?? "", /TrainingParamsAct/);
});

test("takes custom params as given, whatever their keys", () => {
  const params = { num_epochs: 3, save_freq: 1, nested: { depth: [1, 2] } };
  assert.deepEqual(paramsOf("custom", params), params);
});

test("rejects custom params that are not an object", () => {
  assert.deepEqual(
    detailOf(() => paramsOf("custom", [1, 2])),
    [
      {
        loc: ["body", "training_params"],
        msg: "Input should be a valid dictionary",
        type: "dict_type",
      },
    ],
  );
});

test("rejects params that are not an object", () => {
  assert.deepEqual(
    detailOf(() => paramsOf("ACT", "fast")),
    [
      {
        loc: ["body", "training_params"],
        msg: "Input should be a valid dictionary or object to extract fields from",
        type: "model_attributes_type",
      },
    ],
  );
});

test("knows each model's declared keys, and ACT's own config fields for ACT", () => {
  assert.deepEqual(knownParamsKeys("ACT").slice(0, 4), [
    "batch_size",
    "save_freq",
    "steps",
    "n_obs_steps",
  ]);
  assert.ok(knownParamsKeys("ACT").includes("chunk_size"));
  assert.ok(knownParamsKeys("ACT").includes("image_size"));
  assert.ok(!knownParamsKeys("ACT_BBOX").includes("chunk_size"));
  assert.deepEqual(knownParamsKeys("pi0"), [
    "batch_size",
    "data_dir",
    "epochs",
    "learning_rate",
    "output_dir",
    "path_to_pi0_repo",
    "train_test_split",
    "validation_dataset_name",
  ]);
});

test("parses params given apart from a request, located as in a body", () => {
  assert.deepEqual(parseTrainingParams("ACT", { steps: 7 }), { ...ACT_DEFAULTS, steps: 7 });
  assert.deepEqual(
    detailOf(() => parseTrainingParams("ACT", { num_epochs: 3 })).map((entry) => entry.loc),
    [["body", "training_params", "num_epochs"]],
  );
  assert.deepEqual(
    detailOf(() => parseTrainingParams("diffusion", {})),
    [
      {
        loc: ["body", "model_type"],
        msg: "Input should be 'ACT', 'ACT_BBOX', 'gr00t', 'pi0' or 'custom'",
        type: "enum",
      },
    ],
  );
});

test("sets ACT's config fields from an ACT job's params", () => {
  const params = parseTrainingParams("ACT", {
    chunk_size: 20,
    dim_model: 64,
    image_size: [96, 128],
  });
  assert.deepEqual(actPolicyParams(params), {
    chunk_size: 20,
    dim_model: 64,
    image_size: [96, 128],
  });
});

test("rejects a bad ACT config value at its key", () => {
  assert.deepEqual(
    detailOf(() =>
      parseTrainingParams("ACT", { chunk_size: 0, feedforward_activation: "tanh" }),
    ).map((entry) => [entry.loc, entry.type]),
    [
      [["body", "training_params", "chunk_size"], "greater_than"],
      [["body", "training_params", "feedforward_activation"], "enum"],
    ],
  );
});

test("rejects an unknown key on an ACT job, listing the known ones", () => {
  const [entry, ...rest] = detailOf(() => parseTrainingParams("ACT", { chunk_sise: 20 }));
  assert.equal(rest.length, 0);
  assert.deepEqual(entry?.loc, ["body", "training_params", "chunk_sise"]);
  assert.match(
    entry?.msg ?? "",
    /'chunk_sise' is not a field of an ACT job; known fields: batch_size, .*chunk_size/,
  );
});
