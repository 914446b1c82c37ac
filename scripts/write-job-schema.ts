/**
 * Writes the job message's JSON Schema to `schema/job-message.schema.json`, for producers. It
 * runs after `tsc` in `npm run build`, so the file always follows the zod schema; a test fails
 * when the file on disk no longer matches.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { JOB_MESSAGE_SCHEMA_PATH, jobMessageSchemaText } from "../src/contract/index.js";

// This file runs as dist/scripts/write-job-schema.js: the repository root is two folders up.
const repoRoot = new URL("../../", import.meta.url);
const target = fileURLToPath(new URL(JOB_MESSAGE_SCHEMA_PATH, repoRoot));

await mkdir(dirname(target), { recursive: true });
await writeFile(target, jobMessageSchemaText());
process.stdout.write(`wrote ${JOB_MESSAGE_SCHEMA_PATH}\n`);
