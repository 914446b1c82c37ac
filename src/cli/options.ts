/**
 * Parsing of command-line values, each failure naming the flag and the value seen.
 */
import { readFile } from "node:fs/promises";
import { UsageError } from "../errors.js";

export function positiveInteger(flag: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed <= 0) {
      throw new UsageError(flag, `expected a positive integer, got '${value}'`);
    }
    return parsed;
  };
}

export function nonNegativeInteger(flag: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) {
      throw new UsageError(flag, `expected a non-negative integer, got '${value}'`);
    }
    return parsed;
  };
}

export function oneOf<T extends string>(flag: string, allowed: readonly T[]) {
  return (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new UsageError(flag, `expected one of ${allowed.join(", ")}, got '${value}'`);
    }
    return value as T;
  };
}

/** A JSON argument given inline or as `@path`, or a path to a JSON file (`-` is stdin). */
export async function readJson(
  flag: string,
  argument: string,
  form: "inline" | "file",
): Promise<unknown> {
  const fromFile = form === "file" || argument.startsWith("@");
  const path = form === "file" ? argument : argument.slice(1);
  let text: string;
  try {
    text = !fromFile ? argument : path === "-" ? await readStdin() : await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(flag, `cannot read '${path}': ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const where = fromFile ? `'${path}'` : "the inline value";
    throw new UsageError(flag, `${where} is not JSON: ${(error as Error).message}`);
  }
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
