import { z } from "zod";

/**
 * Hugging Face Hub repo ids (`owner/name`), as the Hub accepts them for datasets and models.
 *
 * The rules are checked here rather than left to the Hub so that a job with a bad id is rejected
 * when it is submitted, not hours later when the dataset download or the upload fails.
 */

/** The Hub refuses an owner or a repo name longer than this, in characters. */
export const HUB_REPO_ID_PART_MAX_LENGTH = 96;

const ALLOWED_CHARACTERS = /^[A-Za-z0-9._-]+$/;

/** Returns why `candidate` is not a Hub repo id, or undefined when it is one. */
export function hubRepoIdProblem(candidate: string): string | undefined {
  const reason = findReason(candidate);
  return reason === undefined ? undefined : `'${candidate}' is not a Hub repo id: ${reason}`;
}

export function isHubRepoId(candidate: string): boolean {
  return findReason(candidate) === undefined;
}

function findReason(candidate: string): string | undefined {
  const parts = candidate.split("/");
  const [owner, name] = parts;
  if (parts.length !== 2 || !owner || !name) {
    return "expected 'owner/name'";
  }

  return partReason("owner", owner) ?? partReason("name", name) ?? nameReason(name);
}

function partReason(label: "owner" | "name", part: string): string | undefined {
  if (part.length > HUB_REPO_ID_PART_MAX_LENGTH) {
    const limit = HUB_REPO_ID_PART_MAX_LENGTH;
    return `the ${label} has ${part.length} characters; at most ${limit} are allowed`;
  }
  if (!ALLOWED_CHARACTERS.test(part)) {
    return `the ${label} may only contain letters, digits, '-', '_' and '.'`;
  }
  if (/^[-.]|[-.]$/.test(part)) {
    return `the ${label} must not start or end with '-' or '.'`;
  }
  if (part.includes("--") || part.includes("..")) {
    return `the ${label} must not contain '--' or '..'`;
  }
  return undefined;
}

function nameReason(name: string): string | undefined {
  // The Hub serves git remotes at `<id>.git`, so a name ending in `.git` would be ambiguous.
  return name.endsWith(".git") ? "the name must not end with '.git'" : undefined;
}

/**
 * A string field that must hold a Hub repo id. The check adds no JSON Schema keyword, so the
 * emitted schema stays what the OpenAPI spec says (a plain string) while parsing is stricter.
 */
export function hubRepoIdString() {
  return z.string().superRefine((candidate, context) => {
    const problem = hubRepoIdProblem(candidate);
    if (problem !== undefined) {
      context.addIssue({ code: "custom", message: problem, input: candidate });
    }
  });
}
