import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { METRICS_CONTENT_TYPE, type ServiceMetrics } from './service-metrics.js';

export interface AdminServerOptions {
  readonly metrics: ServiceMetrics;
  /** 0 picks a free port. */
  readonly port: number;
  readonly host: string;
  /** Serve `/metrics` (the gateway's admin port does; its public port then does not). */
  readonly serveMetrics?: boolean;
}

export interface RunningAdminServer {
  /** e.g. `http://127.0.0.1:9464`. */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

/** The answers of `/healthz` and `/readyz`, shared with the gateway's Nest controllers. */
export const LIVENESS_BODY = { status: 'ok' } as const;

/**
 * A service's admin listener, apart from its work: `GET /metrics` (Prometheus text format),
 * `GET /healthz` (200 while the process answers) and `GET /readyz` (200 when every readiness check
 * is up, 503 otherwise, with each check's outcome). Nothing else; no authentication: bind it where
 * only the platform's monitoring reaches it.
 */
export async function startAdminServer(options: AdminServerOptions): Promise<RunningAdminServer> {
  const { metrics } = options;
  const serveMetrics = options.serveMetrics ?? true;
  const server = createServer((request, response) => {
    answer(request, response).catch(() => {
      if (!response.headersSent) send(response, 500, { error: 'INTERNAL', message: 'failed' });
      else response.destroy();
    });
  });
  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    const known =
      path === '/healthz' || path === '/readyz' || (serveMetrics && path === '/metrics');
    if (!known) {
      send(response, 404, { error: 'NOT_FOUND', message: `no ${path} here` });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      send(response, 405, { error: 'METHOD_NOT_ALLOWED', message: 'only GET' });
      return;
    }
    switch (path) {
      case '/healthz':
        send(response, 200, LIVENESS_BODY);
        return;
      case '/readyz': {
        const report = await metrics.readiness.evaluate();
        send(response, report.ready ? 200 : 503, {
          status: report.ready ? 'ok' : 'unavailable',
          checks: report.checks,
        });
        return;
      }
      default: {
        const text = await metrics.exposition();
        response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
        response.end(text);
      }
    }
  };
  // Probes open a connection per request: do not let idle ones hold a stop.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port, host: options.host }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    stop: () => {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return stopping;
    },
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}
