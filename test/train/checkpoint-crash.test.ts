import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { readSafetensors } from "../../src/safetensors/read-safetensors.js";
import { findNewestCheckpoint } from "../../src/train/find-checkpoint.js";

const WRITER = fileURLToPath(new URL("../helpers/checkpoint-writer.js", import.meta.url));

/** Runs the writer until it has written `written` checkpoints, then `delayMs` more, then kills it. */
function killWriter(outputDir: string, written: number, delayMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRITER, outputDir], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.stdout.on("data", (chunk: Buffer) => {
      const last = Number(chunk.toString().trim().split("\n").at(-1));
      if (last >= written) setTimeout(() => child.kill("SIGKILL"), delayMs);
    });
    child.on("close", (code, signal) =>
      signal === "SIGKILL" ? resolve() : reject(new Error(`writer exited ${code}: ${stderr}`)),
    );
  });
}

describe("checkpoints under a crash", () => {
  test("a writer killed at any moment leaves only complete checkpoints under step names", async () => {
    const outputDir = await mkdtemp(join(tmpdir(), "robotrain-crash-"));
    try {
      // Kills spread over the write of a checkpoint: before, within and after its files.
      for (const delayMs of [0, 3, 7, 12, 20, 35]) {
        await killWriter(outputDir, 1, delayMs);

        const checkpoints = join(outputDir, "checkpoints");
        const steps = (await readdir(checkpoints)).filter((name) => /^\d{6}$/.test(name));
        for (const name of steps) {
          // Every file of a folder under a step name reads whole.
          const model = await readSafetensors(
            join(checkpoints, name, "pretrained_model", "model.safetensors"),
          );
          assert.ok(model.tensors.size > 0);
          await readSafetensors(
            join(checkpoints, name, "training_state", "optimizer_state.safetensors"),
          );
        }
        const newest = await findNewestCheckpoint(outputDir);
        assert.ok(newest, "no complete checkpoint found");
        assert.equal(newest.step, Math.max(...steps.map(Number)));
        const last = await readlink(join(checkpoints, "last"));
        assert.ok(steps.includes(last), `last points at ${last}, not a complete checkpoint`);
      }
    } finally {
      await rm(outputDir, { recursive: true, force: true });
    }
  });
});
