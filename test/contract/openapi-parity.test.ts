import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { openApiComponentSchemas } from "../../src/contract/index.js";
import { diffJson } from "./json-diff.js";
import { normaliseComponent, normaliseSchema } from "./normalise-emitted-schema.js";
import { sharedDir } from "./repo-paths.js";

interface OpenApiDocument {
  paths: Record<string, unknown>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

const specPath = join(sharedDir, "spec", "training-start.openapi.yaml");

function readSpec(): OpenApiDocument {
  let text: string;
  try {
    text = readFileSync(specPath, "utf8");
  } catch (error) {
    throw new Error(
      `cannot read the spec at ${specPath} (${(error as Error).message}); ` +
        "set ROBOTRAIN_SHARED_DIR to the folder that holds spec/",
    );
  }
  return parse(text) as OpenApiDocument;
}

const spec = readSpec();
const specSchemas = spec.components.schemas;
const emitted = openApiComponentSchemas();

test("emits exactly the schemas the spec names", () => {
  assert.deepEqual(Object.keys(emitted).sort(), Object.keys(specSchemas).sort());
});

for (const [name, expected] of Object.entries(specSchemas)) {
  test(`emits ${name} as the spec defines it, field by field`, () => {
    const emittedSchema = emitted[name];
    assert.ok(emittedSchema, `${name} is in the spec but zod emits no schema for it`);

    const differences = diffJson(expected, normaliseComponent(name, emittedSchema), name);
    assert.deepEqual(differences, [], `\n${differences.join("\n")}`);
  });
}

test("points every $ref of the spec's paths at an emitted schema", () => {
  const refs = JSON.stringify(spec.paths).match(/"\$ref":"[^"]+"/g) ?? [];
  assert.ok(refs.length >= 3, "the spec's paths should reference request and response schemas");

  for (const ref of refs) {
    const name = ref.replace(/^"\$ref":"#\/components\/schemas\//, "").replace(/"$/, "");
    assert.ok(emitted[name], `${ref} names no emitted schema`);
  }
});

test("relies on the safe-integer normalisation only for schemas we write, not ones we parse", () => {
  const written = new Set(["StartTrainingResponse", "HTTPValidationError", "ValidationError"]);
  const bounded = Object.entries(emitted)
    .filter(([, schema]) => JSON.stringify(schema).includes(String(Number.MAX_SAFE_INTEGER)))
    .map(([name]) => name);

  assert.ok(bounded.length > 0, "zod no longer adds safe-integer bounds; drop the rule");
  for (const name of bounded) {
    assert.ok(written.has(name), `${name} is parsed, so its integers must carry the spec's bounds`);
  }
});

// The parity checks above pass only if the diff and the normalisation do their job, so both
// are checked on their own against differences they must report.

test("the diff names the path of a changed bound", () => {
  const bounded = (maximum: number) => ({
    properties: { batch_size: { anyOf: [{ type: "integer", maximum }, { type: "null" }] } },
  });

  assert.deepEqual(diffJson(bounded(150), bounded(128), "TrainingParamsAct"), [
    "TrainingParamsAct.properties.batch_size.anyOf[0].maximum: expected 150, got 128",
  ]);
});

test("the diff reports fields missing on either side", () => {
  const expected = { properties: { steps: { type: "integer" } }, required: ["a", "b"] };
  const actual = { properties: { epochs: { type: "integer" } }, required: ["b", "a"] };

  assert.deepEqual(diffJson(expected, actual, "M"), [
    'M.properties.steps: expected {"type":"integer"}, got nothing',
    'M.properties.epochs: expected nothing, got {"type":"integer"}',
    'M.required[0]: expected "a", got "b"',
    'M.required[1]: expected "b", got "a"',
  ]);
});

test("the normalisation rewrites spelling only and keeps real differences", () => {
  const emittedStyle = {
    type: "object",
    additionalProperties: {},
    properties: {
      name: { type: ["string", "null"] },
      id: { type: "integer", minimum: -9007199254740991, maximum: 9007199254740991 },
      size: { type: "integer", minimum: 0, maximum: 150 },
      closed: { type: "object", additionalProperties: false },
      typed: { type: "object", additionalProperties: { type: "string" } },
    },
  };

  assert.deepEqual(normaliseSchema(emittedStyle), {
    type: "object",
    additionalProperties: true,
    properties: {
      name: { anyOf: [{ type: "string" }, { type: "null" }] },
      id: { type: "integer" },
      size: { type: "integer", minimum: 0, maximum: 150 },
      closed: { type: "object", additionalProperties: false },
      typed: { type: "object", additionalProperties: { type: "string" } },
    },
  });
});

test("the normalisation keeps safe-integer bounds on numbers that are not integers", () => {
  const float = { type: "number", maximum: 9007199254740991 };
  assert.deepEqual(normaliseSchema(float), float);
});
