import {
  LIVENESS_BODY,
  METRICS_CONTENT_TYPE,
  type ReadinessCheck,
  type ServiceMetrics,
} from '@canopy/observability';
import { ServiceUnavailableException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';

export const LIVENESS_PATH = '/healthz';
export const READINESS_PATH = '/readyz';
export const METRICS_PATH = '/metrics';

const CHECK_TIMEOUT_MS = 2_000;

/**
 * The operator's routes on the gateway's HTTP port, outside Nest's routing (no access token, no
 * rate limit, not part of the API's document): `/healthz`, `/readyz` (Terminus, over the service's
 * readiness checks) and, unless an admin port serves it instead, `/metrics`. Call before listening.
 */
export function serveOperations(
  app: NestFastifyApplication,
  metrics: ServiceMetrics,
  checks: readonly ReadinessCheck[],
  options: { readonly serveMetrics: boolean },
): void {
  const fastify = app.getHttpAdapter().getInstance();
  const health = app.get(HealthCheckService);
  const indicators = app.get(HealthIndicatorService);
  const probes = checks.map(
    (readiness) => () =>
      indicators
        .check(readiness.name)
        .attempt(async () => {
          await readiness.check();
        })
        .withTimeout(CHECK_TIMEOUT_MS),
  );
  fastify.get(LIVENESS_PATH, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(JSON.stringify(LIVENESS_BODY)),
  );
  fastify.get(READINESS_PATH, async (_request, reply) => {
    try {
      const result = await health.check(probes);
      return await reply.type('application/json; charset=utf-8').send(JSON.stringify(result));
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      return reply
        .code(503)
        .type('application/json; charset=utf-8')
        .send(JSON.stringify(error.getResponse()));
    }
  });
  if (options.serveMetrics) {
    fastify.get(METRICS_PATH, async (_request, reply) =>
      reply.type(METRICS_CONTENT_TYPE).send(await metrics.exposition()),
    );
  }
}
