import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { NatsConnectionWatch } from './nats-connection-watch.js';
import { Readiness, type ReadinessReport } from './readiness.js';

/** The Prometheus text exposition format that `/metrics` answers in. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * One service's metrics and readiness: a prom-client registry of its own with Node's process
 * metrics (`process_*`, `nodejs_*`), its NATS connections' status and `canopy_service_ready`, which
 * reads its readiness checks at each scrape. The service registers its own metrics on `registry`.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly readiness: Readiness;
  readonly nats: NatsConnectionWatch;

  constructor(
    /** `gateway`, `scheduler`, `projector`, `node-agent`: the `service` label of canopy_service_ready. */
    readonly service: string,
    readiness = new Readiness(),
  ) {
    this.readiness = readiness;
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters (promtool check metrics refuses them); the same figures remain, by
    // type, in nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ])
      this.registry.removeSingleMetric(name);
    this.nats = new NatsConnectionWatch(this.registry);
    // Evaluated once per scrape, for both gauges.
    let evaluation: Promise<ReadinessReport> | undefined;
    const report = () => {
      evaluation ??= this.readiness.evaluate().finally(() => {
        evaluation = undefined;
      });
      return evaluation;
    };
    new Gauge({
      name: 'canopy_service_ready',
      help: 'Whether the service is ready to do its job now (what /readyz answers): 1 ready, 0 not.',
      labelNames: ['service'],
      registers: [this.registry],
      async collect() {
        this.set({ service }, (await report()).ready ? 1 : 0);
      },
    });
    new Gauge({
      name: 'canopy_readiness_check_up',
      help: 'Each readiness check of the service: 1 up, 0 down.',
      labelNames: ['check'],
      registers: [this.registry],
      async collect() {
        const { checks } = await report();
        for (const [check, outcome] of Object.entries(checks))
          this.set({ check }, outcome.status === 'up' ? 1 : 0);
      },
    });
  }

  /** The registry in the text exposition format. */
  exposition(): Promise<string> {
    return this.registry.metrics();
  }
}
