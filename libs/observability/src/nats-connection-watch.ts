import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReadinessCheck } from './readiness.js';

/** The part of a NATS connection (nats.js v3) the watch reads. */
export interface WatchedNatsConnection {
  status(): AsyncIterable<{ readonly type: string }>;
  isClosed(): boolean;
}

/**
 * Follows a NATS connection's status: whether it is connected now (readiness) and how often it lost
 * and regained its server (`canopy_nats_disconnects_total`, `canopy_nats_reconnects_total`,
 * `canopy_nats_connected`). Several connections of one process add up in the same series.
 */
export class NatsConnectionWatch {
  private readonly reconnects: Counter;
  private readonly disconnects: Counter;
  private readonly connections = new Map<WatchedNatsConnection, boolean>();

  constructor(registry: Registry) {
    this.reconnects = new Counter({
      name: 'canopy_nats_reconnects_total',
      help: 'Times a NATS connection of this process was re-established after losing its server.',
      registers: [registry],
    });
    this.disconnects = new Counter({
      name: 'canopy_nats_disconnects_total',
      help: 'Times a NATS connection of this process lost its server.',
      registers: [registry],
    });
    const connections = this.connections;
    new Gauge({
      name: 'canopy_nats_connected',
      help: 'NATS connections of this process that are connected now.',
      registers: [registry],
      collect() {
        let connected = 0;
        for (const [connection, up] of connections)
          if (up && !connection.isClosed()) connected += 1;
        this.set(connected);
      },
    });
  }

  /** Whether every watched connection is connected now. */
  get connected(): boolean {
    for (const [connection, up] of this.connections) if (!up || connection.isClosed()) return false;
    return true;
  }

  /** Follows the connection until it closes; it counts as connected from now on. */
  watch(connection: WatchedNatsConnection): void {
    this.connections.set(connection, !connection.isClosed());
    void (async () => {
      for await (const status of connection.status()) {
        switch (status.type) {
          case 'disconnect':
            if (this.connections.get(connection) === true) this.disconnects.inc();
            this.connections.set(connection, false);
            break;
          case 'reconnect':
            this.reconnects.inc();
            this.connections.set(connection, true);
            break;
          case 'close':
            this.connections.set(connection, false);
            break;
          default:
            break;
        }
      }
    })().catch(() => this.connections.set(connection, false));
  }

  /** Ready while every watched connection is connected. */
  readinessCheck(name = 'nats'): ReadinessCheck {
    return {
      name,
      check: () => {
        if (this.connections.size === 0) throw new Error('no NATS connection yet');
        if (!this.connected) throw new Error('the NATS connection is down; reconnecting');
      },
    };
  }
}
