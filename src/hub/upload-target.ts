/**
 * Where a job's model goes: which Hub, which repo, with which token, public or private. A
 * private_mode job writes with its own `user_hf_token` into a private repo; any other job
 * writes with the worker's `HF_TOKEN`. The token is kept off the object's enumerable fields, so
 * a target that reaches a log line or `JSON.stringify` never shows it.
 */
import { resolveHubEndpoint } from "./hub-endpoint.js";
import { UploadTargetError } from "./upload-errors.js";

export interface UploadTargetParams {
  /** The job's `model_name`, resolved when it was submitted: `owner/name`. */
  modelName: string;
  /** The job's `private_mode`. */
  privateMode: boolean;
  /** The job's `user_hf_token`; used, and required, when `privateMode` is set. */
  userHfToken?: string | null;
  /** The worker's own token. @default process.env.HF_TOKEN */
  workerToken?: string;
  /** @default process.env.HF_ENDPOINT, else https://huggingface.co */
  hubUrl?: string;
}

export interface UploadTarget {
  hubUrl: string;
  repoId: string;
  private: boolean;
  /** Whose token writes: the job's (private_mode) or the worker's. */
  tokenSource: "job" | "worker";
  /** Not enumerable: absent from `JSON.stringify` and object spreads. */
  readonly accessToken: string;
}

export function resolveUploadTarget(params: UploadTargetParams): UploadTarget {
  const hubUrl = resolveHubEndpoint(params.hubUrl);
  const tokenSource = params.privateMode ? "job" : "worker";
  const accessToken = params.privateMode
    ? params.userHfToken || undefined
    : (params.workerToken ?? process.env.HF_TOKEN) || undefined;
  const context = { repoId: params.modelName, hubUrl, what: "uploading the model" };

  if (accessToken === undefined) {
    throw new UploadTargetError({
      ...context,
      reason: params.privateMode
        ? "the job is in private_mode but carries no user_hf_token"
        : "the worker has no Hub token to write with",
      hint: params.privateMode
        ? "submit it again with user_hf_token set to a token with write access"
        : "set HF_TOKEN for the worker to a Hub token with write access",
    });
  }
  // @huggingface/hub throws a bare TypeError for such a token; this says what to do instead.
  if (!accessToken.startsWith("hf_")) {
    throw new UploadTargetError({
      ...context,
      reason:
        `the ${params.privateMode ? "job's user_hf_token" : "worker's HF_TOKEN"} is not a Hub ` +
        "token (Hub tokens start with 'hf_')",
      hint: "pass a token made at the Hub's settings, tokens page",
    });
  }

  const target = { hubUrl, repoId: params.modelName, private: params.privateMode, tokenSource };
  Object.defineProperty(target, "accessToken", { value: accessToken, enumerable: false });
  return target as UploadTarget;
}
