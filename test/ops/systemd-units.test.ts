import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { DEFAULT_METRICS_PORT, readMetricsAddress } from "../../src/ops/metrics-address.js";
import {
  DEFAULT_RETENTION_DAYS,
  DEFAULT_STOP_GRACE_SECONDS,
  readRetentionDays,
  readStopGraceSeconds,
} from "../../src/ops/worker-timing.js";
import { REPO_ROOT } from "../helpers/paths.js";

const DEPLOY = join(REPO_ROOT, "deploy");
const UNITS = ["robotrain.service", "robotrain@.service"];

/** A unit file's settings: section → key → every value given, in order. */
type Unit = Map<string, Map<string, string[]>>;

async function readUnit(name: string): Promise<Unit> {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const raw of (await readFile(join(DEPLOY, name), "utf8")).split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const split = line.indexOf("=");
    assert.ok(section && split > 0, `${name}: '${line}' is outside a section or has no '='`);
    const key = line.slice(0, split);
    section.set(key, [...(section.get(key) ?? []), line.slice(split + 1)]);
  }
  return unit;
}

function setting(unit: Unit, section: string, key: string): string | undefined {
  return unit.get(section)?.get(key)?.at(-1);
}

function environment(unit: Unit): Map<string, string> {
  const assignments = unit.get("Service")?.get("Environment") ?? [];
  return new Map(assignments.map((assignment) => assignment.split("=", 2) as [string, string]));
}

/** systemd's time span in seconds: "150", "150s", "2min 30s". */
function seconds(span: string): number {
  const units: Record<string, number> = { "": 1, s: 1, sec: 1, min: 60, m: 60, h: 3600 };
  let total = 0;
  for (const [, amount, unit] of span.matchAll(/(\d+)\s*([a-z]*)/g)) {
    assert.ok(unit! in units, `unknown time unit in '${span}'`);
    total += Number(amount) * units[unit!]!;
  }
  return total;
}

describe("systemd units", () => {
  for (const name of UNITS) {
    test(`${name} runs the worker as a notify service with a watchdog, restarted on failure`, async () => {
      const unit = await readUnit(name);
      assert.equal(setting(unit, "Service", "Type"), "notify");
      assert.equal(setting(unit, "Service", "NotifyAccess"), "all");
      assert.match(setting(unit, "Service", "ExecStart") ?? "", /^\/\S+\/robotrain worker$/);
      assert.ok(seconds(setting(unit, "Service", "WatchdogSec") ?? "0") > 0);
      assert.equal(setting(unit, "Service", "Restart"), "on-failure");
      assert.equal(setting(unit, "Service", "KillSignal"), "SIGTERM");
      assert.equal(setting(unit, "Service", "User"), "robotrain");
      assert.ok(
        unit.get("Service")?.get("EnvironmentFile")?.includes("-/etc/robotrain/worker.env"),
      );
      assert.equal(setting(unit, "Install", "WantedBy"), "multi-user.target");
    });

    test(`${name} gives a stopping worker more time than its grace period`, async () => {
      const unit = await readUnit(name);
      const stopSeconds = seconds(setting(unit, "Service", "TimeoutStopSec") ?? "0");
      assert.ok(
        stopSeconds > DEFAULT_STOP_GRACE_SECONDS,
        `TimeoutStopSec ${stopSeconds} s, grace ${DEFAULT_STOP_GRACE_SECONDS} s`,
      );
      // SIGTERM to the worker alone: it stops its job's process itself.
      assert.equal(setting(unit, "Service", "KillMode"), "mixed");
    });

    test(`${name} is hardened without hiding the GPUs`, async () => {
      const unit = await readUnit(name);
      assert.equal(setting(unit, "Service", "NoNewPrivileges"), "yes");
      assert.equal(setting(unit, "Service", "ProtectSystem"), "strict");
      assert.equal(setting(unit, "Service", "PrivateTmp"), "yes");
      assert.ok(unit.get("Service")?.get("ReadWritePaths")?.includes("/var/lib/robotrain"));
      for (const breaksCuda of ["PrivateDevices", "DevicePolicy", "MemoryDenyWriteExecute"]) {
        assert.equal(setting(unit, "Service", breaksCuda), undefined, breaksCuda);
      }
    });
  }

  test("robotrain.service keeps its state in /var/lib/robotrain", async () => {
    const unit = await readUnit("robotrain.service");
    assert.equal(setting(unit, "Service", "StateDirectory"), "robotrain");
    assert.equal(environment(unit).get("ROBOTRAIN_HOME"), "/var/lib/robotrain");
    assert.equal(environment(unit).get("ROBOTRAIN_METRICS_PORT"), undefined);
  });

  test("robotrain@.service gives each GPU its device, state folder and metrics port", async () => {
    const unit = await readUnit("robotrain@.service");
    const env = environment(unit);
    assert.equal(env.get("CUDA_VISIBLE_DEVICES"), "%i");
    assert.equal(env.get("ROBOTRAIN_HOME"), "/var/lib/robotrain/%i");
    assert.deepEqual(setting(unit, "Service", "StateDirectory")?.split(" "), [
      "robotrain",
      "robotrain/%i",
    ]);
    assert.ok(
      unit.get("Service")?.get("EnvironmentFile")?.includes("-/etc/robotrain/worker@%i.env"),
    );

    const ports = [0, 1, 2, 9].map((gpu) => {
      const value = env.get("ROBOTRAIN_METRICS_PORT")?.replaceAll("%i", String(gpu));
      return readMetricsAddress(value)?.port;
    });
    assert.equal(new Set(ports).size, ports.length, `ports ${ports.join(", ")}`);
    assert.ok(!ports.includes(DEFAULT_METRICS_PORT));
  });

  test("both units pass systemd-analyze verify", { skip: systemdAnalyzeMissing() }, async () => {
    // An alternate root with the system's units and a stand-in for the installed command,
    // so verify checks these files and not what this machine has installed.
    const root = await mkdtemp(join(tmpdir(), "robotrain-units-"));
    try {
      await mkdir(join(root, "usr/bin"), { recursive: true });
      await writeFile(join(root, "usr/bin/robotrain"), "#!/bin/sh\n");
      await chmod(join(root, "usr/bin/robotrain"), 0o755);
      await cp("/usr/lib/systemd/system", join(root, "usr/lib/systemd/system"), {
        recursive: true,
        verbatimSymlinks: true,
      });
      for (const name of UNITS) {
        await cp(join(DEPLOY, name), join(root, "etc/systemd/system", name));
      }
      const { stderr } = await promisify(execFile)("systemd-analyze", [
        "verify",
        `--root=${root}`,
        "robotrain.service",
        "robotrain@0.service",
      ]);
      assert.equal(stderr, "");
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe("worker.env.example", () => {
  const VARIABLES = [
    "AMQP_URL",
    "ROBOTRAIN_AMQP_PREFIX",
    "ROBOTRAIN_DELIVERY_LIMIT",
    "HF_TOKEN",
    "HF_ENDPOINT",
    "ROBOTRAIN_HOME",
    "ROBOTRAIN_METRICS_PORT",
    "ROBOTRAIN_LOG_LEVEL",
    "ROBOTRAIN_LOG_FORMAT",
    "ROBOTRAIN_STOP_GRACE_SECONDS",
    "ROBOTRAIN_RETENTION_DAYS",
  ];

  async function defaults(): Promise<Map<string, string>> {
    const text = await readFile(join(DEPLOY, "worker.env.example"), "utf8");
    const shown = [...text.matchAll(/^#([A-Z][A-Z0-9_]*)=(.*)$/gm)];
    return new Map(shown.map(([, name, value]) => [name!, value!]));
  }

  test("documents every variable the worker reads, each after its explanation", async () => {
    const text = await readFile(join(DEPLOY, "worker.env.example"), "utf8");
    const shown = await defaults();
    for (const name of VARIABLES) {
      assert.ok(shown.has(name), `${name} is not in worker.env.example`);
      const before = text
        .slice(0, text.indexOf(`#${name}=`))
        .trimEnd()
        .split("\n")
        .at(-1);
      assert.match(before ?? "", /^# \S/, `${name} has no explanation above it`);
    }
  });

  test("shows the defaults the code has", async () => {
    const shown = await defaults();
    assert.equal(shown.get("ROBOTRAIN_METRICS_PORT"), String(DEFAULT_METRICS_PORT));
    assert.equal(shown.get("ROBOTRAIN_STOP_GRACE_SECONDS"), String(DEFAULT_STOP_GRACE_SECONDS));
    assert.equal(shown.get("ROBOTRAIN_RETENTION_DAYS"), String(DEFAULT_RETENTION_DAYS));
    assert.equal(shown.get("ROBOTRAIN_LOG_FORMAT"), "json");
    assert.equal(shown.get("ROBOTRAIN_LOG_LEVEL"), "info");
    assert.equal(shown.get("ROBOTRAIN_DELIVERY_LIMIT"), "5");
  });
});

describe("stop grace and retention", () => {
  test("default to 120 s and 7 days, and read whole numbers", () => {
    assert.equal(readStopGraceSeconds({}), 120);
    assert.equal(readRetentionDays({ ROBOTRAIN_RETENTION_DAYS: "" }), 7);
    assert.equal(readStopGraceSeconds({ ROBOTRAIN_STOP_GRACE_SECONDS: "300" }), 300);
    assert.equal(readRetentionDays({ ROBOTRAIN_RETENTION_DAYS: "0" }), 0);
  });

  test("refuse what is not a whole number, naming the variable", () => {
    assert.throws(
      () => readStopGraceSeconds({ ROBOTRAIN_STOP_GRACE_SECONDS: "2m" }),
      /ROBOTRAIN_STOP_GRACE_SECONDS: '2m' is not a whole number/,
    );
    assert.throws(
      () => readRetentionDays({ ROBOTRAIN_RETENTION_DAYS: "-1" }),
      /ROBOTRAIN_RETENTION_DAYS: '-1' is not a whole number/,
    );
  });
});

function systemdAnalyzeMissing(): string | false {
  if (!existsSync("/usr/bin/systemd-analyze")) return "systemd-analyze is not installed";
  if (!existsSync("/usr/lib/systemd/system/sysinit.target")) {
    return "this machine has no systemd units to verify against";
  }
  return false;
}
