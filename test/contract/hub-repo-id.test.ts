import assert from "node:assert/strict";
import { test } from "node:test";
import {
  hubRepoIdProblem,
  isHubRepoId,
  parseTrainingRequest,
  RequestValidationError,
} from "../../src/contract/index.js";

test("accepts owner/name ids made of letters, digits, '-', '_' and '.'", () => {
  for (const id of ["phospho-app/pick-and-place", "a/b", "Org_1/so100.v2", `o/${"n".repeat(96)}`]) {
    assert.equal(hubRepoIdProblem(id), undefined, id);
    assert.equal(isHubRepoId(id), true, id);
  }
});

test("says why an id is not a Hub repo id", () => {
  const cases: [string, string][] = [
    ["foo", "expected 'owner/name'"],
    ["a/b/c", "expected 'owner/name'"],
    ["/name", "expected 'owner/name'"],
    ["owner/", "expected 'owner/name'"],
    [`o/${"n".repeat(97)}`, "the name has 97 characters; at most 96 are allowed"],
    [`${"o".repeat(97)}/n`, "the owner has 97 characters; at most 96 are allowed"],
    ["owner/my model", "the name may only contain letters, digits, '-', '_' and '.'"],
    ["own@er/name", "the owner may only contain letters, digits, '-', '_' and '.'"],
    ["owner/-name", "the name must not start or end with '-' or '.'"],
    ["owner/name.", "the name must not start or end with '-' or '.'"],
    [".owner/name", "the owner must not start or end with '-' or '.'"],
    ["owner/na--me", "the name must not contain '--' or '..'"],
    ["ow..ner/name", "the owner must not contain '--' or '..'"],
    ["owner/policy.git", "the name must not end with '.git'"],
  ];
  for (const [id, reason] of cases) {
    assert.equal(hubRepoIdProblem(id), `'${id}' is not a Hub repo id: ${reason}`);
    assert.equal(isHubRepoId(id), false, id);
  }
});

test("rejects a dataset_name that is not a Hub repo id, with the reason", () => {
  assert.throws(
    () => parseTrainingRequest({ model_type: "ACT", dataset_name: "foo" }),
    (error: unknown) => {
      assert.ok(error instanceof RequestValidationError);
      assert.deepEqual(error.detail, [
        {
          loc: ["body", "dataset_name"],
          msg: "Value error, 'foo' is not a Hub repo id: expected 'owner/name'",
          type: "value_error",
        },
      ]);
      return true;
    },
  );
});
