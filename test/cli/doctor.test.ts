import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { runCli } from "../helpers/run-cli.js";

interface Finding {
  check: string;
  verdict: "ok" | "warn" | "fail";
  detail: string;
}

describe("robotrain doctor", () => {
  test("reports node, libtorch with its path, CUDA, ffmpeg and a reachable broker", async () => {
    const run = await runCli(["doctor", "--json"], {
      env: { AMQP_URL: "amqp://guest:guest@127.0.0.1:5672" },
    });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const findings = new Map(
      (JSON.parse(run.stdout) as Finding[]).map((finding) => [finding.check, finding]),
    );

    assert.equal(findings.get("node")?.detail.startsWith(process.version), true);
    assert.match(findings.get("libtorch")?.detail ?? "", /^\d+\.\d+\.\d+ at \/.*libtorch/);
    assert.ok(["ok", "warn"].includes(findings.get("cuda")?.verdict ?? ""));
    assert.match(findings.get("ffmpeg")?.detail ?? "", /^ffmpeg version/);
    assert.equal(findings.get("broker")?.verdict, "ok");
    assert.match(
      findings.get("broker")?.detail ?? "",
      /^amqp:\/\/guest:\*\*\*@127\.0\.0\.1:5672 \(RabbitMQ /,
    );
  });

  test("warns, without failing, when the broker cannot be reached", async () => {
    const run = await runCli(["doctor"], { env: { AMQP_URL: "amqp://guest:secret@127.0.0.1:1" } });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(
      run.stdout,
      /^warn broker +broker amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1: could not connect/m,
    );
    assert.doesNotMatch(run.stdout, /secret/);
  });
});
