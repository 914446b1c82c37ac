/**
 * Where the metrics and health endpoint listens: `ROBOTRAIN_METRICS_PORT` is a port, a
 * `host:port`, `0` for a port the system picks (tests), or `off`.
 */
import { UsageError } from "../errors.js";

export const DEFAULT_METRICS_PORT = 9464;

export interface MetricsAddress {
  /** Absent: every interface. */
  host?: string;
  port: number;
}

/** The address to listen on, or undefined when the endpoint is off. */
export function readMetricsAddress(
  value: string | undefined = process.env.ROBOTRAIN_METRICS_PORT,
): MetricsAddress | undefined {
  if (value === undefined || value === "") return { port: DEFAULT_METRICS_PORT };
  if (value === "off") return undefined;

  const split = value.lastIndexOf(":");
  const host = split === -1 ? undefined : value.slice(0, split).replace(/^\[(.*)\]$/, "$1");
  const portText = split === -1 ? value : value.slice(split + 1);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535 || host === "") {
    throw new UsageError(
      "ROBOTRAIN_METRICS_PORT",
      `'${value}' is not a port; use a port (${DEFAULT_METRICS_PORT}), host:port ` +
        `(127.0.0.1:${DEFAULT_METRICS_PORT}), 0 for any free port, or off`,
    );
  }
  return host === undefined ? { port } : { host, port };
}
