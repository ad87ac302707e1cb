import { Histogram, type Registry } from 'prom-client';

/** The route template of `POST /v1/task/:id`, as Fastify names it. */
export const ISSUE_TASK_ROUTE = '/v1/task/:id';

const knownMethods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The gateway's HTTP metrics: every response by method, route template (never the path itself: ids
 * would make a series per task) and status; and POST /v1/task/:id → 201, the time a client waits
 * for its task to be recorded.
 */
export class HttpMetrics {
  private readonly requests: Histogram<'method' | 'route' | 'status_code'>;
  private readonly issue: Histogram;

  constructor(registry: Registry) {
    this.requests = new Histogram({
      name: 'canopy_http_request_duration_seconds',
      help: 'Time from a request to its response, by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    this.issue = new Histogram({
      name: 'canopy_task_issue_seconds',
      help: 'POST /v1/task/:id answered 201: from the request to the task recorded by a scheduler.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
  }

  /** `route` is the route's template, undefined when no route matched. */
  responded(method: string, route: string | undefined, status: number, seconds: number): void {
    const routeLabel = route ?? 'unmatched';
    this.requests.observe(
      {
        method: knownMethods.has(method) ? method : 'OTHER',
        route: routeLabel,
        status_code: String(status),
      },
      seconds,
    );
    if (status === 201 && method === 'POST' && routeLabel === ISSUE_TASK_ROUTE)
      this.issue.observe(seconds);
  }
}
