/**
 * One observation given as JSON, as `robotrain predict` reads it: feature name -> nested arrays
 * (`[3][H][W]` for a camera, `[J]` for a vector) or `{ "shape": [...], "data": [flat] }`.
 * Each feature becomes a float32 batch of one; every mistake names the feature and the shape
 * the model expects.
 */
import { UsageError } from "../errors.js";
import type { FloatTensor } from "../train/addon.js";

/** A model input: its feature name and its shape without the batch dimension. */
export interface ExpectedInput {
  name: string;
  shape: number[];
}

export class ObservationError extends UsageError {
  readonly feature: string;

  constructor(feature: string, message: string) {
    super("--input", `feature '${feature}' ${message}`);
    this.name = "ObservationError";
    this.feature = feature;
  }
}

function describeShape(input: ExpectedInput): string {
  const images = input.name.startsWith("observation.images.") ? ", floats in [0, 1]" : "";
  return `[${input.shape.join(", ")}]${images}`;
}

export function parseObservation(
  json: unknown,
  inputs: ExpectedInput[],
): Record<string, FloatTensor> {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new UsageError("--input", "expected a JSON object of feature name -> values");
  }
  const given = json as Record<string, unknown>;
  const known = new Set(inputs.map((input) => input.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      throw new ObservationError(
        name,
        `is not an input of the model; its inputs are ${[...known].join(", ")}`,
      );
    }
  }

  const observation: Record<string, FloatTensor> = {};
  for (const input of inputs) {
    const value = given[input.name];
    if (value === undefined) {
      throw new ObservationError(
        input.name,
        `is missing; give it with shape ${describeShape(input)}`,
      );
    }
    observation[input.name] = { data: valuesOf(input, value), shape: [1, ...input.shape] };
  }
  return observation;
}

function valuesOf(input: ExpectedInput, value: unknown): Float32Array {
  const count = input.shape.reduce((a, b) => a * b, 1);
  let flat: unknown[];
  if (Array.isArray(value)) {
    const shape = nestedShape(value);
    if (shape.length > 1 && shape.join(",") !== input.shape.join(",")) {
      throw new ObservationError(
        input.name,
        `has shape [${shape.join(", ")}]; expected ${describeShape(input)}`,
      );
    }
    flat = value.flat(Number.POSITIVE_INFINITY);
  } else if (typeof value === "object" && value !== null && "data" in value) {
    const { data, shape } = value as { data: unknown; shape?: unknown };
    if (shape !== undefined && JSON.stringify(shape) !== JSON.stringify(input.shape)) {
      throw new ObservationError(
        input.name,
        `declares shape ${JSON.stringify(shape)}; expected ${describeShape(input)}`,
      );
    }
    flat = Array.isArray(data) ? data : [];
  } else {
    throw new ObservationError(input.name, `is not an array; expected ${describeShape(input)}`);
  }
  if (flat.length !== count) {
    throw new ObservationError(
      input.name,
      `has ${flat.length} values; expected ${count} (shape ${describeShape(input)})`,
    );
  }
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const number = flat[i];
    if (typeof number !== "number" || !Number.isFinite(number)) {
      throw new ObservationError(
        input.name,
        `has ${JSON.stringify(number)} at ${i}; expected numbers`,
      );
    }
    data[i] = number;
  }
  return data;
}

/** The shape of nested arrays, following the first element at each depth. */
function nestedShape(value: unknown[]): number[] {
  const shape: number[] = [];
  let level: unknown = value;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

/** A (1, S, A) chunk as S rows of A actions. */
export function chunkRows(actions: FloatTensor): number[][] {
  const [, steps, width] = actions.shape as [number, number, number];
  return Array.from({ length: steps }, (_, s) =>
    Array.from(actions.data.subarray(s * width, (s + 1) * width)),
  );
}
