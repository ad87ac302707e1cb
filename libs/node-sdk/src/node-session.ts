import { nodeInboxPrefix, nodeReportSubject } from '@canopy/contracts';
import type { NodeGoodbye } from '@canopy/contracts';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { errorSummary } from './node-logger.js';
import type { NodeLogger } from './node-logger.js';
import type { ResolvedNodeOptions } from './node-options.js';
import { keepPresence } from './node-presence.js';
import { deliverReport } from './report-delivery.js';
import { serverHosts } from './server-hosts.js';
import type { AttemptRef } from './slot-ledger.js';

/** What the node is busy with, as its announcements and heartbeats tell the scheduler. */
export interface Workload {
  /** Attempts the node owns: running, or with a result not yet acknowledged. */
  runningTasks(): AttemptRef[];
  /** Slots free for new work; none while the node is stopping. */
  freeSlots(): number;
}

/** How often a node whose first connection waits for a server says it is still waiting. */
export const STILL_WAITING_LOG_MS = 5_000;

/** The node was stopped while its first connection still waited for a NATS server. */
export class ConnectingAbandonedError extends Error {
  constructor() {
    super('the node stopped before it could connect to NATS');
    this.name = 'ConnectingAbandonedError';
  }
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
  private readonly firstConnectController = new AbortController();
  private connecting: Promise<NatsConnection> | undefined;
  private presence: Promise<void> | undefined;

  constructor(
    private readonly options: ResolvedNodeOptions,
    private readonly logger: NodeLogger,
  ) {}

  /**
   * Opens the connection, or takes the one given in the options. Unless the connection options say
   * `waitOnFirstConnect: false`, a server that cannot be reached yet is tried again until it answers
   * (with a warning every {@link STILL_WAITING_LOG_MS}); rejects when the server refuses the
   * credentials, or once {@link abandonConnecting} has been called.
   */
  connect(): Promise<NatsConnection> {
    this.connecting ??= this.openConnection();
    return this.connecting;
  }

  /**
   * Gives up a first connection that is still waiting for a server: {@link connect} rejects with a
   * {@link ConnectingAbandonedError} before its next attempt (within about half a second, or once
   * an attempt under way has ended). No effect on a connection that is open.
   */
  abandonConnecting(): void {
    this.firstConnectController.abort();
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
    const { target } = this.options;
    switch (target.kind) {
      case 'connection':
        return target.connection;
      case 'servers':
        return this.dial(target.servers);
      default: {
        const unknown: never = target;
        throw new Error(`unknown connection target ${JSON.stringify(unknown)}`);
      }
    }
  }

  private async dial(servers: string[]): Promise<NatsConnection> {
    const abandoned = this.firstConnectController.signal;
    const { reconnectToServer: chooseServer, ...connectionOptions } =
      this.options.connectionOptions;
    let connected = false;
    const startedAt = Date.now();
    const stillWaiting = setInterval(() => {
      const waitedSeconds = Math.round((Date.now() - startedAt) / 1000);
      this.logger.warn({ waitedSeconds, servers: serverHosts(servers) }, 'still waiting for NATS');
    }, STILL_WAITING_LOG_MS);
    try {
      const connection = await connect({
        name: `canopy-node ${this.options.nodeId}`,
        // A node outlives network trouble: wait for a server that is not up yet, keep reconnecting,
        // soon (a server of the cluster came back), unless told otherwise; and no stack trace
        // captured per request it makes.
        waitOnFirstConnect: true,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 250,
        noAsyncTraces: true,
        ...connectionOptions,
        // Called before every attempt to reach a server: the one place a waiting first connection
        // can be given up, since nats.js offers no way to cancel it.
        reconnectToServer: (pool, info) => {
          if (abandoned.aborted && !connected) throw new ConnectingAbandonedError();
          return chooseServer?.(pool, info) ?? null;
        },
        ...(this.options.credentials === undefined
          ? {}
          : {
              authenticator: credsAuthenticator(new TextEncoder().encode(this.options.credentials)),
            }),
        servers,
        inboxPrefix: nodeInboxPrefix(this.options.nodeId),
      });
      connected = true;
      return connection;
    } catch (error) {
      if (abandoned.aborted) throw new ConnectingAbandonedError();
      this.logger.error({ reason: errorSummary(error) }, 'could not connect to NATS');
      throw error;
    } finally {
      clearInterval(stillWaiting);
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
