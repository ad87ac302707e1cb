import { nodeInboxPrefix, nodeReportSubject } from '@canopy/contracts';
import type { NodeGoodbye } from '@canopy/contracts';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { errorSummary } from './node-logger.js';
import type { NodeLogger } from './node-logger.js';
import type { ResolvedNodeOptions } from './node-options.js';
import { keepPresence } from './node-presence.js';
import { deliverReport } from './report-delivery.js';
import type { AttemptRef } from './slot-ledger.js';

/** What the node is busy with, as its announcements and heartbeats tell the scheduler. */
export interface Workload {
  /** Attempts the node owns: running, or with a result not yet acknowledged. */
  runningTasks(): AttemptRef[];
  /** Slots free for new work; none while the node is stopping. */
  freeSlots(): number;
}

const GOODBYE_ATTEMPTS = 3;
/**
 * Goodbye is a courtesy (the scheduler declares a silent node lost anyway): each attempt waits this
 * long at most, so a node whose NATS server is gone still stops within seconds.
 */
const GOODBYE_REQUEST_TIMEOUT_MS = 1_500;

/**
 * The node's standing with the scheduler: the NATS connection, the announcement, heartbeats (and
 * announcing again when the scheduler has forgotten the node), and the goodbye.
 */
export class NodeSession {
  private readonly presenceController = new AbortController();
  private connecting: Promise<NatsConnection> | undefined;
  private presence: Promise<void> | undefined;

  constructor(
    private readonly options: ResolvedNodeOptions,
    private readonly logger: NodeLogger,
  ) {}

  /** Opens the connection, or takes the one given in the options; rejects if it cannot be opened. */
  connect(): Promise<NatsConnection> {
    this.connecting ??= this.openConnection();
    return this.connecting;
  }

  /** The connection once {@link connect} has ended; undefined if it failed or never began. */
  async connection(): Promise<NatsConnection | undefined> {
    return this.connecting?.catch(() => undefined);
  }

  /**
   * Announces the node, retrying until the scheduler accepts, then keeps it present in the
   * background. Resolves once announced, or when presence ends first.
   */
  async announce(connection: NatsConnection, workload: Workload): Promise<void> {
    let announced: () => void = () => undefined;
    const firstAnnouncement = new Promise<void>((resolve) => {
      announced = resolve;
    });
    const { nodeId, capabilities, slots, agent } = this.options;
    this.presence = keepPresence({
      connection,
      nodeId,
      policy: this.options.retry,
      logger: this.logger,
      signal: this.presenceController.signal,
      announcement: () => ({
        nodeId,
        capabilities,
        slots,
        runningTasks: workload.runningTasks(),
        agent,
      }),
      heartbeat: () => ({
        nodeId,
        freeSlots: workload.freeSlots(),
        runningTasks: workload.runningTasks(),
        sentAt: new Date().toISOString(),
      }),
      onAnnounced: announced,
    });
    await Promise.race([firstAnnouncement, this.presence]);
  }

  /** Stops announcing and heartbeating; resolves once no request of theirs is in flight. */
  async endPresence(): Promise<void> {
    this.presenceController.abort();
    await this.presence;
  }

  /**
   * Says goodbye, so the scheduler takes back the node's attempts at once rather than after a
   * heartbeat timeout, and drains the connection if the node opened it.
   */
  async leave(connection: NatsConnection): Promise<void> {
    if (this.presence !== undefined && !connection.isClosed()) await this.sayGoodbye(connection);
    if (this.options.target.kind === 'servers' && !connection.isClosed()) {
      await connection.drain().catch((error: unknown) => {
        this.logger.warn({ reason: errorSummary(error) }, 'draining the NATS connection failed');
      });
    }
  }

  private async openConnection(): Promise<NatsConnection> {
    const { target, nodeId } = this.options;
    switch (target.kind) {
      case 'connection':
        return target.connection;
      case 'servers':
        try {
          return await connect({
            name: `canopy-node ${nodeId}`,
            // A node outlives network trouble: keep reconnecting, soon (a server of the cluster came
            // back), unless told otherwise; and no stack trace captured per request it makes.
            maxReconnectAttempts: -1,
            reconnectTimeWait: 250,
            reconnectJitter: 250,
            noAsyncTraces: true,
            ...this.options.connectionOptions,
            ...(this.options.credentials === undefined
              ? {}
              : {
                  authenticator: credsAuthenticator(
                    new TextEncoder().encode(this.options.credentials),
                  ),
                }),
            servers: target.servers,
            inboxPrefix: nodeInboxPrefix(nodeId),
          });
        } catch (error) {
          this.logger.error({ reason: errorSummary(error) }, 'could not connect to NATS');
          throw error;
        }
      default: {
        const unknown: never = target;
        throw new Error(`unknown connection target ${JSON.stringify(unknown)}`);
      }
    }
  }

  private async sayGoodbye(connection: NatsConnection): Promise<void> {
    const goodbye: NodeGoodbye = { nodeId: this.options.nodeId };
    const { retry } = this.options;
    const outcome = await deliverReport({
      connection,
      subject: nodeReportSubject(this.options.nodeId, 'goodbye'),
      payload: JSON.stringify(goodbye),
      policy: {
        ...retry,
        requestTimeoutMs: Math.min(retry.requestTimeoutMs, GOODBYE_REQUEST_TIMEOUT_MS),
      },
      signal: new AbortController().signal,
      maxAttempts: GOODBYE_ATTEMPTS,
    });
    if (outcome.kind === 'acknowledged') this.logger.info({}, 'said goodbye to the scheduler');
    else this.logger.warn({ outcome: outcome.kind }, 'the scheduler did not acknowledge goodbye');
  }
}
