import type { NatsConnection } from '@nats-io/transport-node';
import type { ServiceLogger } from '@canopy/service-runtime';

/**
 * The scheduler's NATS connection as the matching loop needs to know it: while it is down, nodes
 * cannot be heard or told anything, so nothing is offered and nobody is declared lost; once it is
 * back, the outage is reported (how long it lasted) so that deadlines move by as much and every node
 * gets a full heartbeat timeout to be heard from again.
 */
export class NatsLink {
  private downSinceMs: number | undefined;

  constructor(
    private readonly logger: ServiceLogger,
    private readonly now: () => number,
    private readonly onReconnected: (outageMs: number) => void,
  ) {}

  get connected(): boolean {
    return this.downSinceMs === undefined;
  }

  /** Follows the connection's status until it closes. */
  watch(connection: NatsConnection): void {
    void (async () => {
      for await (const status of connection.status()) {
        switch (status.type) {
          case 'disconnect':
            if (this.downSinceMs !== undefined) break;
            this.downSinceMs = this.now();
            this.logger.warn({ server: status.server }, 'NATS connection lost; pausing');
            break;
          case 'reconnect': {
            if (this.downSinceMs === undefined) break;
            const outageMs = this.now() - this.downSinceMs;
            this.downSinceMs = undefined;
            this.logger.info(
              { server: status.server, outageMs: Math.round(outageMs) },
              'NATS connection back; resuming',
            );
            this.onReconnected(outageMs);
            break;
          }
          default:
            break;
        }
      }
    })().catch((error: unknown) =>
      this.logger.warn({ reason: String(error) }, 'stopped following the NATS connection'),
    );
  }
}
