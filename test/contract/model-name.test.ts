import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DEFAULT_MODEL_NAMESPACE,
  isHubRepoId,
  MODEL_NAME_MAX_LENGTH,
  parseTrainingRequest,
  type RandomIndex,
  randomSuffix,
  resolveModelName,
} from "../../src/contract/index.js";

const ACT_REQUEST = { model_type: "ACT", dataset_name: "phospho-app/pick-and-place" } as const;

/** Draws 0, 1, 2, ... in turn: a suffix that tests can spell out. */
function counting(): RandomIndex {
  let next = 0;
  return (bound) => next++ % bound;
}

test("keeps a model_name with an owner as given", () => {
  const name = resolveModelName({ ...ACT_REQUEST, model_name: "someone/my-policy" });
  assert.equal(name, "someone/my-policy");
});

test("cuts a given model_name to 96 characters", () => {
  const long = `someone/${"p".repeat(120)}`;
  const name = resolveModelName({ ...ACT_REQUEST, model_name: long });
  assert.equal(name, long.slice(0, MODEL_NAME_MAX_LENGTH));
  assert.equal(name.length, 96);
});

test("puts a bare model_name under the namespace", () => {
  assert.equal(
    resolveModelName({ ...ACT_REQUEST, model_name: "my-policy" }),
    `${DEFAULT_MODEL_NAMESPACE}/my-policy`,
  );
  assert.equal(
    resolveModelName({ ...ACT_REQUEST, model_name: "my-policy" }, { namespace: "acme" }),
    "acme/my-policy",
  );
});

test("cuts a bare model_name under the namespace to 96 characters", () => {
  const name = resolveModelName({ ...ACT_REQUEST, model_name: "p".repeat(100) });
  assert.equal(name, `robotrain/${"p".repeat(86)}`);
});

test("names an unnamed job after its model type and dataset, with a random suffix", () => {
  const name = resolveModelName(ACT_REQUEST, { namespace: "acme", random: counting() });
  assert.equal(name, "acme/ACT-pick-and-place-abcdefghij");
});

test("draws the default suffix from [a-z0-9] and a new one each time", () => {
  const names = new Set<string>();
  for (let draw = 0; draw < 50; draw += 1) {
    const name = resolveModelName(ACT_REQUEST);
    assert.match(name, /^robotrain\/ACT-pick-and-place-[a-z0-9]{10}$/);
    names.add(name);
  }
  // 36^10 suffixes: 50 draws repeat one with a probability below 1e-12.
  assert.equal(names.size, 50);
});

test("spans the whole suffix alphabet", () => {
  assert.equal(
    randomSuffix(() => 35),
    "9999999999",
  );
  assert.equal(
    randomSuffix(() => 26),
    "0000000000",
  );
});

test("refuses a random source that leaves [0, bound)", () => {
  assert.throws(() => randomSuffix(() => 36), /returned 36 for bound 36/);
  assert.throws(() => randomSuffix(() => -1), RangeError);
  assert.throws(() => randomSuffix(() => 0.5), RangeError);
});

test("keeps the suffix and a valid id when a generated name is cut to 96 characters", () => {
  const dataset = `owner/${"d".repeat(90)}.x`;
  const name = resolveModelName(
    { model_type: "ACT_BBOX", dataset_name: dataset },
    { random: counting() },
  );
  assert.equal(name.length <= MODEL_NAME_MAX_LENGTH, true);
  assert.match(name, /^robotrain\/ACT_BBOX-d+-abcdefghij$/);
  assert.equal(isHubRepoId(name), true, name);
});

test("trims a '-' or '.' the cut would leave before the suffix", () => {
  // The stem before "-<suffix>" gets 85 characters; "robotrain/ACT-" takes 14, so the stem
  // ends on the dataset name's 71st character: make it a '.'.
  const dataset = `owner/${"d".repeat(70)}.b${"c".repeat(20)}`;
  const name = resolveModelName(
    { model_type: "ACT", dataset_name: dataset },
    { random: counting() },
  );
  assert.equal(name, `robotrain/ACT-${"d".repeat(70)}-abcdefghij`);
  assert.equal(isHubRepoId(name), true, name);
});

test("keeps a resolved name when it is resolved again", () => {
  const resolved = resolveModelName(ACT_REQUEST);
  assert.equal(resolveModelName({ ...ACT_REQUEST, model_name: resolved }), resolved);
});

test("never generates a name while parsing a request", () => {
  const unnamed = parseTrainingRequest(ACT_REQUEST);
  assert.equal(unnamed.model_name, undefined);

  const bare = parseTrainingRequest({ ...ACT_REQUEST, model_name: "my-policy" });
  assert.equal(bare.model_name, "my-policy");

  const nulled = parseTrainingRequest({ ...ACT_REQUEST, model_name: null });
  assert.equal(nulled.model_name, null);
});
