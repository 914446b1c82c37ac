/**
 * The worker's HTTP endpoint for operations: `GET /metrics` (Prometheus text format) and
 * `GET /healthz` (200 with the health report while healthy, 503 otherwise). It answers from
 * the state the worker core reports; it never waits on a job or on the broker.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { UsageError } from "../errors.js";
import type { MetricsAddress } from "./metrics-address.js";
import { isHealthy, type WorkerHealth } from "./worker-health.js";
import type { WorkerMetrics } from "./worker-metrics.js";

export interface MetricsServerParams {
  address: MetricsAddress;
  metrics: WorkerMetrics;
  health: WorkerHealth;
}

export interface MetricsServer {
  /** e.g. "http://127.0.0.1:9464": where `/metrics` and `/healthz` are. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

export async function startMetricsServer(params: MetricsServerParams): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    answer(request, response, params).catch((error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      if (!response.headersSent) response.writeHead(500, { "content-type": "text/plain" });
      response.end(`metrics could not be collected: ${reason}\n`);
    });
  });
  // A scraper that holds its connection open must not hold the worker's exit.
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => reject(listenError(params, error)));
    server.listen(params.address.port, params.address.host, () => resolve());
  });
  server.unref();

  const { port, address, family } = server.address() as AddressInfo;
  const shown = address === "::" || address === "0.0.0.0" ? "127.0.0.1" : address;
  const host = family === "IPv6" && shown.includes(":") ? `[${shown}]` : shown;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(
  request: IncomingMessage,
  response: ServerResponse,
  { metrics, health }: MetricsServerParams,
): Promise<void> {
  const path = new URL(request.url ?? "/", "http://worker").pathname;
  if (request.method !== "GET" && request.method !== "HEAD") {
    response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" });
    response.end("only GET and HEAD are served\n");
    return;
  }

  if (path === "/metrics") {
    const { contentType, body } = await metrics.render();
    response.writeHead(200, { "content-type": contentType });
    response.end(request.method === "HEAD" ? undefined : body);
    return;
  }

  if (path === "/healthz") {
    const report = health.report();
    const code = isHealthy(report) ? 200 : 503;
    response.writeHead(code, { "content-type": "application/json", "cache-control": "no-store" });
    response.end(request.method === "HEAD" ? undefined : `${JSON.stringify(report)}\n`);
    return;
  }

  response.writeHead(404, { "content-type": "text/plain" });
  response.end("not found; the worker serves /metrics and /healthz\n");
}

function listenError(params: MetricsServerParams, error: NodeJS.ErrnoException): Error {
  const where = `${params.address.host ?? "every interface"} port ${params.address.port}`;
  return new UsageError(
    "ROBOTRAIN_METRICS_PORT",
    `cannot listen on ${where} (${error.code ?? error.message}); choose another port, or off`,
  );
}
