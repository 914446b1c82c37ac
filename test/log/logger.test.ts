import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { UsageError } from "../../src/errors.js";
import { createLogger, readLogFormat } from "../../src/log.js";
import { REPO_ROOT } from "../helpers/paths.js";
import { logLines } from "../helpers/run-cli.js";

const LOG_MODULE = pathToFileURL(`${REPO_ROOT}dist/src/log.js`).href;

/** Runs `body` in a fresh node with `log` imported, and returns what it printed. */
function runLogging(body: string, env: NodeJS.ProcessEnv = {}) {
  const script = `import * as log from ${JSON.stringify(LOG_MODULE)};\n${body}`;
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    env: { ...process.env, ROBOTRAIN_LOG_LEVEL: "", ROBOTRAIN_LOG_FORMAT: "", ...env },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { stdout: run.stdout, stderr: run.stderr, status: run.status, signal: run.signal };
}

function captured(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const log = createLogger({
    level: "debug",
    format: "json",
    ...options,
    write: (line) => lines.push(line),
  });
  return { log, lines };
}

describe("logger", () => {
  test("writes one JSON line of ts, level word, msg, bound fields and fields", () => {
    const { log, lines } = captured();
    log.child({ jobId: 42 }).info("checkpoint written", { step: 300, dir: "/tmp/c" });

    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith("}\n"));
    assert.equal(lines[0]!.trimEnd().includes("\n"), false);
    const line = JSON.parse(lines[0]!);
    assert.deepEqual(Object.keys(line).sort(), ["dir", "jobId", "level", "msg", "step", "ts"]);
    assert.equal(line.level, "info");
    assert.equal(line.msg, "checkpoint written");
    assert.equal(line.jobId, 42);
    assert.equal(line.step, 300);
    assert.equal(new Date(line.ts).toISOString(), line.ts);
  });

  test("prints errors as their name and message, at any depth", () => {
    const { log, lines } = captured();
    const failure = new RangeError("step 3 is past the end");
    log.error("job failed", { error: failure, err: failure, attempts: [{ error: failure }] });

    const line = JSON.parse(lines[0]!);
    const expected = { name: "RangeError", message: "step 3 is past the end" };
    assert.deepEqual(line.error, expected);
    assert.deepEqual(line.err, expected);
    assert.deepEqual(line.attempts, [{ error: expected }]);
  });

  test("prints a field that repeats a bound name once, with the field's value", () => {
    const { log, lines } = captured();
    log.child({ jobId: 1, step: 0 }).info("training resumed", { step: 3 });

    assert.equal(lines[0]!.match(/"step":/g)?.length, 1);
    assert.deepEqual(JSON.parse(lines[0]!).step, 3);
    assert.equal(JSON.parse(lines[0]!).jobId, 1);
  });

  test("drops lines below the level asked for", () => {
    const { log, lines } = captured({ level: "warn" });
    log.debug("batch assembled");
    log.info("job running");
    log.warn("training on cpu");
    log.error("job failed");

    assert.deepEqual(
      lines.map((line) => JSON.parse(line).level),
      ["warn", "error"],
    );
  });

  test("takes its level from ROBOTRAIN_LOG_LEVEL and refuses an unknown one", () => {
    const body = 'const l = log.createLogger(); l.info("job running"); l.warn("training on cpu");';
    const warnOnly = runLogging(body, { ROBOTRAIN_LOG_LEVEL: "warn" });
    assert.deepEqual(
      logLines(warnOnly.stdout).map((line) => line.msg),
      ["training on cpu"],
    );

    const unknown = runLogging(body, { ROBOTRAIN_LOG_LEVEL: "verbose" });
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /ROBOTRAIN_LOG_LEVEL: 'verbose' is not a log level/);
  });

  test("never prints secret fields or URL passwords, nested or bound", () => {
    const body = `
      const l = log.createLogger().child({ hf_token: "hf_boundsecret" });
      l.info("job received", {
        token: "hf_tokensecret",
        user_hf_token: "hf_usersecret",
        wandb_api_key: "wandbsecret",
        password: "pwsecret",
        request: { user_hf_token: "hf_nestedsecret", training_params: { wandb_api_key: "wbdeep" } },
        headers: { authorization: "Bearer authsecret" },
        AMQP_URL: "amqp://worker:amqpenvsecret@broker:5672",
        broker: "amqp://worker:amqpsecret@broker:5672/",
        error: new Error("connect to amqps://worker:errsecret@broker failed"),
        steps: 8000,
      });`;
    const run = runLogging(body);
    assert.equal(run.status, 0, run.stderr);

    assert.doesNotMatch(run.stdout, /secret|wbdeep/);
    const [line] = logLines(run.stdout);
    assert.equal(line?.token, "[redacted]");
    assert.equal(line?.hf_token, "[redacted]");
    assert.deepEqual(line?.request, {
      user_hf_token: "[redacted]",
      training_params: { wandb_api_key: "[redacted]" },
    });
    assert.equal(line?.broker, "amqp://worker:***@broker:5672/");
    assert.equal(line?.steps, 8000);
  });

  test("a line logged just before SIGKILL is on stdout", () => {
    const body = `
      const l = log.createLogger().child({ jobId: 7 });
      for (let step = 1; step <= 200; step++) l.info("checkpoint written", { step });
      process.kill(process.pid, "SIGKILL");`;
    const run = runLogging(body);

    assert.equal(run.signal, "SIGKILL");
    const steps = logLines(run.stdout).map((line) => line.step);
    assert.equal(steps.length, 200);
    assert.equal(steps.at(-1), 200);
  });

  test("pretty format prints time, level and msg, then the fields, on one line", () => {
    const body = `
      log.createLogger().child({ jobId: 9 }).warn("training on cpu", { reason: "no CUDA" });`;
    const run = runLogging(body, { ROBOTRAIN_LOG_FORMAT: "pretty", NO_COLOR: "1" });
    assert.equal(run.status, 0, run.stderr);

    const lines = run.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] WARN: training on cpu \{"jobId":9,"reason":"no CUDA"\}$/,
    );
  });

  test("pretty format still redacts secrets", () => {
    const { log, lines } = captured({ format: "pretty" });
    log.info("job received", { user_hf_token: "hf_prettysecret" });

    assert.match(lines[0]!, /job received/);
    assert.doesNotMatch(lines[0]!, /prettysecret/);
  });

  test("refuses a log format other than json or pretty, naming the variable", () => {
    assert.equal(readLogFormat(undefined), "json");
    assert.equal(readLogFormat("pretty"), "pretty");
    assert.throws(
      () => readLogFormat("text", "--log-format"),
      (error: unknown) =>
        error instanceof UsageError &&
        /--log-format: 'text' is not a log format/.test(error.message),
    );
  });
});
