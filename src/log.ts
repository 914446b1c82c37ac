/**
 * Structured logs: one JSON line each on stdout, `{ts, level, msg, jobId?, ...fields}`.
 * `msg` is a constant phrase; values go in fields whose names carry their unit (`durationMs`).
 * Tokens and payloads are never logged: the fields named in `REDACTED_FIELDS` print as
 * `[redacted]` wherever a caller puts them, and the password of any URL prints as `***`.
 *
 * pino writes the lines, synchronously, so a line logged just before the process exits or is
 * killed is on stdout already. `format: "pretty"` (or `ROBOTRAIN_LOG_FORMAT=pretty`) turns each
 * line into pino-pretty's coloured one-line form for a terminal.
 */
import { type DestinationStream, destination, type Logger as PinoLogger, pino } from "pino";
import { prettyFactory } from "pino-pretty";
import { UsageError } from "./errors.js";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFormat = "json" | "pretty";

export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
export const LOG_FORMATS: readonly LogFormat[] = ["json", "pretty"];

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose every line also carries `bound` (e.g. `{ jobId }`). */
  child(bound: LogFields): Logger;
}

export interface LoggerOptions {
  /** @default $ROBOTRAIN_LOG_LEVEL, else "info" */
  level?: LogLevel;
  /** @default $ROBOTRAIN_LOG_FORMAT, else "json" */
  format?: LogFormat;
  /** Where each finished line (newline included) goes, instead of stdout. */
  write?: (line: string) => void;
}

/**
 * Field names never printed, at the top of a line or nested up to two objects deep. Secrets of a
 * job (`user_hf_token`, `wandb_api_key`), of the environment (`HF_TOKEN`, `AMQP_URL`) and of
 * HTTP (`authorization`, `cookie`).
 */
export const REDACTED_FIELDS: readonly string[] = [
  "token",
  "accessToken",
  "hf_token",
  "hfToken",
  "HF_TOKEN",
  "user_hf_token",
  "userHfToken",
  "wandb_api_key",
  "wandbApiKey",
  "WANDB_API_KEY",
  "api_key",
  "apiKey",
  "password",
  "secret",
  "authorization",
  "Authorization",
  "cookie",
  "amqpUrl",
  "amqp_url",
  "AMQP_URL",
];

const REDACTED = "[redacted]";

export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const level = options.level ?? readLevel(process.env.ROBOTRAIN_LOG_LEVEL);
  const format = options.format ?? readLogFormat(process.env.ROBOTRAIN_LOG_FORMAT);
  const root = pino(
    {
      level,
      base: null,
      messageKey: "msg",
      timestamp: () => `,"ts":"${new Date().toISOString()}"`,
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => printable(bindings) as LogFields,
        log: (fields) => printable(fields) as LogFields,
      },
      // pino's own `err` serializer would print a stack; `printable` has made errors plain already.
      serializers: { err: (value: unknown) => value },
      redact: { paths: redactPaths(), censor: REDACTED },
    },
    lineDestination(format, options.write),
  );
  return wrap(root, root.child(bound), bound);
}

/** `ROBOTRAIN_LOG_FORMAT`, or the value of a `--log-format` flag; unset means "json". */
export function readLogFormat(value: string | undefined, name = "ROBOTRAIN_LOG_FORMAT"): LogFormat {
  if (value === undefined || value === "") return "json";
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as LogFormat;
  throw new UsageError(name, `'${value}' is not a log format; use json or pretty`);
}

function readLevel(value: string | undefined): LogLevel {
  if (value === undefined || value === "") return "info";
  if ((LOG_LEVELS as readonly string[]).includes(value)) return value as LogLevel;
  throw new UsageError(
    "ROBOTRAIN_LOG_LEVEL",
    `'${value}' is not a log level; use ${LOG_LEVELS.join(", ")}`,
  );
}

/**
 * The logger callers see. A field that repeats a bound name replaces it, as in one JSON object:
 * such a line goes through a child bound to both, so the name is printed once.
 */
function wrap(root: PinoLogger, logger: PinoLogger, bound: LogFields): Logger {
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    const rebinds = Object.keys(fields).some((name) => Object.hasOwn(bound, name));
    if (rebinds) root.child({ ...bound, ...fields })[level](msg);
    else logger[level](fields, msg);
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (more) => {
      const merged = { ...bound, ...more };
      return wrap(root, root.child(merged), merged);
    },
  };
}

/** Synchronous writes to stdout (fd 1), or to the caller's `write`; pretty-printed if asked. */
function lineDestination(format: LogFormat, write?: (line: string) => void): DestinationStream {
  const out = write ?? stdoutWriter();
  if (format === "json") return { write: out };
  const pretty = prettyFactory({
    messageKey: "msg",
    timestampKey: "ts",
    translateTime: "SYS:yyyy-mm-dd HH:MM:ss.l",
    singleLine: true,
    errorLikeObjectKeys: [],
  });
  return { write: (line: string) => out(pretty(line)) };
}

function stdoutWriter(): (line: string) => void {
  const stdout = destination({ dest: 1, sync: true });
  return (line) => stdout.write(line);
}

function redactPaths(): string[] {
  return REDACTED_FIELDS.flatMap((name) => [name, `*.${name}`, `*.*.${name}`]);
}

/**
 * A copy of `value` as it may be printed: errors as `{name, message}` (a stack is noise in a log
 * line, a cause may hold a request), URL passwords as `***`, cycles as "[circular]".
 */
function printable(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === "string") return withoutUrlPasswords(value);
  if (value instanceof Error) {
    return { name: value.name, message: withoutUrlPasswords(value.message) };
  }
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return "[circular]";
  seen.add(value);
  let copy: unknown;
  if (Array.isArray(value)) copy = value.map((element) => printable(element, seen));
  else if (isPlainObject(value)) {
    copy = Object.fromEntries(
      Object.entries(value).map(([name, field]) => [name, printable(field, seen)]),
    );
  } else copy = value;
  seen.delete(value);
  return copy;
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** `scheme://user:password@host` → `scheme://user:***@host`, anywhere in a string. */
function withoutUrlPasswords(text: string): string {
  return text.includes("://") ? text.replace(URL_PASSWORD, "$1***@") : text;
}

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:)[^\s@/]+@/gi;
