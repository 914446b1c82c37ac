/**
 * Structured logs: one JSON line each on stdout, `{ts, level, msg, jobId?, ...fields}`.
 * `msg` is a constant phrase; values go in fields whose names carry their unit (`durationMs`).
 * Tokens and payloads are never logged.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger whose every line also carries `bound` (e.g. `{ jobId }`). */
  child(bound: LogFields): Logger;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const threshold = LEVELS[options.level ?? readLevel(process.env.ROBOTRAIN_LOG_LEVEL)];
  const write = options.write ?? ((line: string) => process.stdout.write(line));

  const emit = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    if (LEVELS[level] < threshold) return;
    const line = { ts: new Date().toISOString(), level, msg, ...bound, ...fields };
    write(`${JSON.stringify(line, errorsAsObjects)}\n`);
  };

  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (more) => createLogger(options, { ...bound, ...more }),
  };
}

function readLevel(value: string | undefined): LogLevel {
  return value !== undefined && value in LEVELS ? (value as LogLevel) : "info";
}

function errorsAsObjects(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
