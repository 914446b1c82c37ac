import { randomInt } from "node:crypto";
import type { ParsedTrainingRequest } from "./parse-training-request.js";

/** Owner of models whose job names none, or names one without an owner. */
export const DEFAULT_MODEL_NAMESPACE = "robotrain";

/** Resolved names are cut to this many characters, as the old service cut them. */
export const MODEL_NAME_MAX_LENGTH = 96;

const SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
const SUFFIX_LENGTH = 10;

/** Returns a uniformly random integer in [0, bound). */
export type RandomIndex = (bound: number) => number;

export interface ResolveModelNameOptions {
  /** Owner for bare and generated names; default `DEFAULT_MODEL_NAMESPACE`. */
  namespace?: string;
  /** Source of the generated suffix; default `crypto.randomInt`. Tests pass their own. */
  random?: RandomIndex;
}

/**
 * The Hub repo a job's model is uploaded to:
 * - a `model_name` with an owner is kept as given, cut to 96 characters;
 * - a bare `model_name` gets the namespace as its owner: `<namespace>/<name>`, cut to 96;
 * - no `model_name` gives `<namespace>/<model_type>-<dataset name>-<10 random [a-z0-9]>`.
 *
 * Call it once, when the job is submitted, and let the name travel with the job: a second call
 * for a request without a name draws a new suffix. A resolved name is kept as given by another
 * call, since it has an owner and is at most 96 characters long.
 */
export function resolveModelName(
  request: Pick<ParsedTrainingRequest, "model_name" | "model_type" | "dataset_name">,
  options: ResolveModelNameOptions = {},
): string {
  const namespace = options.namespace ?? DEFAULT_MODEL_NAMESPACE;
  const given = request.model_name;

  if (given !== undefined && given !== null) {
    const owned = given.includes("/") ? given : `${namespace}/${given}`;
    return owned.slice(0, MODEL_NAME_MAX_LENGTH);
  }
  return generatedModelName(namespace, request, options.random ?? ((bound) => randomInt(bound)));
}

function generatedModelName(
  namespace: string,
  request: Pick<ParsedTrainingRequest, "model_type" | "dataset_name">,
  random: RandomIndex,
): string {
  const datasetName = request.dataset_name.slice(request.dataset_name.indexOf("/") + 1);
  const suffix = randomSuffix(random);

  // A long name is cut before the suffix rather than at the end: the suffix is what keeps two
  // jobs on one dataset apart. The cut may expose a '-' or '.', which a repo name cannot end on.
  const stemLength = MODEL_NAME_MAX_LENGTH - suffix.length - 1;
  const stem = `${namespace}/${request.model_type}-${datasetName}`
    .slice(0, stemLength)
    .replace(/[-.]+$/, "");
  return `${stem}-${suffix}`;
}

/** Ten characters from [a-z0-9], each drawn uniformly by `random`. */
export function randomSuffix(random: RandomIndex): string {
  let suffix = "";
  for (let position = 0; position < SUFFIX_LENGTH; position += 1) {
    const index = random(SUFFIX_ALPHABET.length);
    const character = SUFFIX_ALPHABET[index];
    if (character === undefined) {
      throw new RangeError(
        `random source returned ${index} for bound ${SUFFIX_ALPHABET.length}; ` +
          "it must return an integer in [0, bound)",
      );
    }
    suffix += character;
  }
  return suffix;
}
