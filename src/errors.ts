/**
 * Error classes shared across stages. Whether an error is `retryable` alone decides between
 * requeueing a job and dead-lettering it; a message says what failed, the value seen and what
 * to do next.
 */
export class RobotrainError extends Error {
  /** True when the same job may succeed later (network, broker, Hub 5xx). */
  readonly retryable: boolean;

  constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "RobotrainError";
    this.retryable = options.retryable;
  }
}

/** A command-line flag or a configuration value that cannot work. */
export class UsageError extends RobotrainError {
  readonly option: string;

  constructor(option: string, message: string) {
    super(`${option}: ${message}`, { retryable: false });
    this.name = "UsageError";
    this.option = option;
  }
}

/** The native addon is missing or does not load. */
export class AddonLoadError extends RobotrainError {
  readonly path: string;

  constructor(path: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(
      `the native addon at ${path} did not load (${reason}); build it with ` +
        "`npm run build:native` (it needs libtorch: see README, Install)",
      { retryable: false, cause },
    );
    this.name = "AddonLoadError";
    this.path = path;
  }
}

/** The broker could not be reached or refused an operation. */
export class BrokerError extends RobotrainError {
  readonly url: string;

  constructor(url: string, message: string, cause?: unknown) {
    super(`broker ${url}: ${message}`, { retryable: true, cause });
    this.name = "BrokerError";
    this.url = url;
  }
}

/** A capability this build of robotrain does not have; failing loudly beats a silent no-op. */
export class NotAvailableError extends RobotrainError {
  readonly feature: string;

  constructor(feature: string, hint: string) {
    super(`${feature} is not available in this version of robotrain; ${hint}`, {
      retryable: false,
    });
    this.name = "NotAvailableError";
    this.feature = feature;
  }
}
