import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { mapFile } from "../../src/dataset/mapped-file.js";

let workDir: string;

before(async () => {
  workDir = await mkdtemp(join(tmpdir(), "robotrain-mapped-file-"));
});

after(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe("mapFile", () => {
  test("maps the whole file, read-only by default", async () => {
    const path = join(workDir, "bytes.bin");
    const bytes = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 7) % 256);
    await writeFile(path, bytes);

    const mapped = mapFile(path);
    assert.ok(mapped instanceof ArrayBuffer);
    assert.deepEqual(new Uint8Array(mapped), bytes);
  });

  test("writes through a writable mapping reach the file and other mappings", async () => {
    const path = join(workDir, "shared.bin");
    await writeFile(path, new Uint8Array(4096));
    const reader = new Uint8Array(mapFile(path));
    const writer = new Uint8Array(mapFile(path, { writable: true }));

    writer.set([1, 2, 3], 100);
    assert.deepEqual(Array.from(reader.subarray(100, 103)), [1, 2, 3]);
    // MAP_SHARED: the page cache holds the write, so reading the file sees it without a sync.
    assert.deepEqual(Array.from((await readFile(path)).subarray(100, 103)), [1, 2, 3]);
  });

  test("names the path and the system error when the file cannot be opened", () => {
    const path = join(workDir, "missing.bin");
    assert.throws(
      () => mapFile(path),
      (error: Error) => {
        assert.ok(error.message.startsWith(`mapFile: open of ${path} failed: `), error.message);
        assert.match(error.message, /No such file or directory \(errno 2\); check the path$/);
        return true;
      },
    );
  });

  test("refuses an empty file and a folder", async () => {
    const empty = join(workDir, "empty.bin");
    await writeFile(empty, "");
    assert.throws(() => mapFile(empty), new RegExp(`mapFile: ${empty} is empty \\(0 bytes\\)`));
    assert.throws(() => mapFile(workDir), /is not a regular file/);
  });

  test("checks its arguments", () => {
    const misuse = mapFile as unknown as (...args: unknown[]) => ArrayBuffer;
    assert.throws(() => misuse(3), TypeError);
    assert.throws(() => misuse(join(workDir, "x"), { writable: "yes" }), TypeError);
  });
});
