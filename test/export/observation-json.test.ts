/**
 * One observation read from JSON for `robotrain predict`: both forms accepted, every mistake
 * named by feature and expected shape.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  chunkRows,
  ObservationError,
  parseObservation,
} from "../../src/export/observation-json.js";

const inputs = [
  { name: "observation.state", shape: [3] },
  { name: "observation.images.top", shape: [3, 1, 2] },
];
const image = [[[0, 0.1]], [[0.2, 0.3]], [[0.4, 0.5]]];

describe("observation JSON", () => {
  test("reads nested arrays and {shape, data} into batches of one", () => {
    const observation = parseObservation(
      {
        "observation.state": { shape: [3], data: [1, 2, 3] },
        "observation.images.top": image,
      },
      inputs,
    );
    assert.deepEqual(observation["observation.state"]!.shape, [1, 3]);
    assert.deepEqual(Array.from(observation["observation.state"]!.data), [1, 2, 3]);
    assert.deepEqual(observation["observation.images.top"]!.shape, [1, 3, 1, 2]);
    assert.deepEqual(
      Array.from(observation["observation.images.top"]!.data),
      Array.from(Float32Array.from([0, 0.1, 0.2, 0.3, 0.4, 0.5])),
    );
  });

  const mistakes: [string, Record<string, unknown>, RegExp][] = [
    [
      "a wrong value count",
      { "observation.state": [1, 2], "observation.images.top": image },
      /'observation\.state' has 2 values; expected 3 \(shape \[3\]\)/,
    ],
    [
      "a wrong declared shape",
      { "observation.state": { shape: [1, 3], data: [1, 2, 3] }, "observation.images.top": image },
      /'observation\.state' declares shape \[1,3\]; expected \[3\]/,
    ],
    [
      "a feature the model lacks",
      { "observation.state": [1, 2, 3], "observation.images.top": image, extra: [1] },
      /'extra' is not an input of the model; its inputs are observation\.state, observation\.images/,
    ],
    [
      "a value that is no number",
      { "observation.state": [1, "2", 3], "observation.images.top": image },
      /'observation\.state' has "2" at 1; expected numbers/,
    ],
  ];
  for (const [name, json, message] of mistakes) {
    test(`refuses ${name}, naming the feature`, () => {
      assert.throws(
        () => parseObservation(json, inputs),
        (error: unknown) => error instanceof ObservationError && message.test(error.message),
      );
    });
  }

  test("prints a chunk as rows of actions", () => {
    const rows = chunkRows({ data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [1, 3, 2] });
    assert.deepEqual(rows, [
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });
});
