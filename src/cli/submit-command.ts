/**
 * `robotrain submit <file | ->`: validate a TrainingRequest, resolve its model name, publish
 * it as a job and print the StartTrainingResponse. Validation happens before any broker is
 * contacted, so a bad request never costs a connection.
 */
import { randomInt } from "node:crypto";
import { readFile } from "node:fs/promises";
import {
  buildJobMessage,
  parseTrainingRequest,
  RequestValidationError,
  startTrainingResponse,
} from "../contract/index.js";
import { UsageError } from "../errors.js";
import { resolveHubEndpoint } from "../hub/hub-endpoint.js";
import { brokerConfig } from "../queue/broker-config.js";
import { connectBroker } from "../queue/connect.js";
import { publishJob } from "../queue/publish-job.js";
import { readStdin } from "./options.js";
import { modelNamespace } from "./settings.js";

export interface SubmitOptions {
  id?: number;
  namespace?: string;
}

export async function submitCommand(source: string, options: SubmitOptions): Promise<void> {
  const request = parseTrainingRequest(parseBody(await readBody(source)));
  const job = buildJobMessage(request, {
    trainingId: options.id ?? newTrainingId(),
    namespace: options.namespace ?? modelNamespace(),
  });

  const config = brokerConfig();
  const connection = await connectBroker({ config, connectionName: "robotrain submit" });
  try {
    await publishJob({ connection, config, job });
  } finally {
    await connection.close().catch(() => {});
  }
  process.stdout.write(`${JSON.stringify(startTrainingResponse(job, resolveHubEndpoint()))}\n`);
}

/**
 * Milliseconds since the epoch times 1000 plus a random part: unique across producers without
 * a shared counter, ordered by submission time, and within JavaScript's safe integers.
 */
export function newTrainingId(): number {
  return Date.now() * 1000 + randomInt(1000);
}

async function readBody(source: string): Promise<string> {
  try {
    return source === "-" ? await readStdin() : await readFile(source, "utf8");
  } catch (error) {
    throw new UsageError("request", `cannot read '${source}': ${(error as Error).message}`);
  }
}

/** A body that is not JSON gets FastAPI's own 422 answer for it. */
function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RequestValidationError([
      {
        loc: ["body", 0],
        msg: `JSON decode error: ${(error as Error).message}`,
        type: "json_invalid",
      },
    ]);
  }
}
