import type { NatsConnection } from '@nats-io/transport-node';
import { AssignmentDesk } from './assignment-desk.js';
import { errorSummary, withFields } from './node-logger.js';
import type { NodeLogger } from './node-logger.js';
import { resolveNodeOptions } from './node-options.js';
import type { CanopyNodeOptions } from './node-options.js';
import { NodeSession } from './node-session.js';
import type { TaskHandler } from './task-run.js';

/** Where a node is in its life. */
export type NodePhase = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** How {@link CanopyNode.stop} treats running tasks. */
export interface StopOptions {
  /**
   * How long running tasks may go on to finish (and their results to be acknowledged) before they
   * are aborted. Default 10 000 ms; 0 aborts them at once.
   */
  readonly graceMs?: number;
}

const DEFAULT_GRACE_MS = 10_000;

/**
 * A Canopy worker node: connects to NATS, announces itself to the scheduler, heartbeats, takes
 * assignments (never more at once than its slots), runs each through the handler, and reports
 * progress and results until the scheduler acknowledges them.
 *
 * ```ts
 * const node = new CanopyNode({ servers: 'nats://127.0.0.1:4222', nodeId: 'n1', slots: 2,
 *   capabilities: { cpuCount: 4, memSize: 8192, networkLatency: 0, privileged: false },
 *   agent: 'my-node/1.0' });
 * await node.start(async (task) => {
 *   task.progress(50);
 *   return { status: 200, contentType: 'text/plain', body: 'done' };
 * });
 * process.once('SIGTERM', () => void node.stop());
 * ```
 */
export class CanopyNode {
  readonly nodeId: string;
  private readonly logger: NodeLogger;
  private readonly session: NodeSession;
  private readonly desk: AssignmentDesk;
  private currentPhase: NodePhase = 'new';
  private stopping: Promise<void> | undefined;
  private resolveClosed: (error: Error | undefined) => void = () => undefined;
  private readonly closedPromise = new Promise<Error | undefined>((resolve) => {
    this.resolveClosed = resolve;
  });

  /** Validates the options (throws on a bad node id, capabilities, slots, agent or retry policy). */
  constructor(options: CanopyNodeOptions) {
    const resolved = resolveNodeOptions(options);
    this.nodeId = resolved.nodeId;
    this.logger = withFields(resolved.logger, { nodeId: this.nodeId });
    this.session = new NodeSession(resolved, this.logger);
    this.desk = new AssignmentDesk({
      nodeId: this.nodeId,
      slots: resolved.slots,
      retry: resolved.retry,
      logger: this.logger,
    });
  }

  get phase(): NodePhase {
    return this.currentPhase;
  }

  /**
   * Connects (unless given a connection), subscribes to the node's assignments and cancellations,
   * and announces the node, retrying until the scheduler accepts. A NATS server that cannot be
   * reached yet is waited for, with a warning logged every 5 s (unless `connectionOptions` say
   * `waitOnFirstConnect: false`). Resolves once announced, or when {@link stop} is called first;
   * rejects if the connection cannot be opened (the server refused the credentials, say).
   * Heartbeats (and announcing again when the scheduler has forgotten the node) continue in the
   * background.
   */
  async start(handler: TaskHandler): Promise<void> {
    if (this.currentPhase !== 'new') {
      throw new Error(`the node cannot start: it is ${this.currentPhase}`);
    }
    this.currentPhase = 'starting';
    let connection: NatsConnection;
    try {
      connection = await this.session.connect();
    } catch (error) {
      // stop() was called while the connection waited for a server: it settles closed().
      if (this.currentPhase !== 'starting') return;
      this.currentPhase = 'stopped';
      this.resolveClosed(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    // stop() was called while connecting: it takes over from here.
    if (this.currentPhase !== 'starting') return;
    void connection.closed().then((error) => this.onConnectionClosed(error));
    this.desk.open(connection, handler);
    await this.session.announce(connection, this.desk);
    if (this.currentPhase === 'starting') this.currentPhase = 'running';
  }

  /**
   * Stops the node: gives up a first connection still waiting for a server, rejects new assignments
   * at once, lets running tasks finish for `graceMs`, aborts the rest (their attempts are handed
   * back, no result is reported), stops retrying reports, says goodbye to the scheduler and drains
   * the connection it opened. Idempotent: every call returns the same promise. Never rejects.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopping ??= this.shutdown(options.graceMs ?? DEFAULT_GRACE_MS);
    return this.stopping;
  }

  /**
   * The NATS connection the node works on, once {@link start} has opened it (undefined before, or
   * when it could not be opened): for the host's own monitoring of the connection's status.
   */
  connection(): Promise<NatsConnection | undefined> {
    return this.session.connection();
  }

  /**
   * Resolves when the node has stopped: with undefined after {@link stop}, or with the error when
   * the connection closed for good on its own (or could not be opened).
   */
  closed(): Promise<Error | undefined> {
    return this.closedPromise;
  }

  private async shutdown(graceMs: number): Promise<void> {
    const before = this.currentPhase;
    this.currentPhase = 'stopping';
    this.desk.close();
    this.session.abandonConnecting();
    const connection = await this.session.connection();
    if (before !== 'new' && connection !== undefined) {
      await this.desk.windDown(graceMs);
      await this.session.endPresence();
      await this.desk.unsubscribe();
      await this.session.leave(connection);
      this.logger.info({}, 'stopped');
    }
    this.currentPhase = 'stopped';
    this.resolveClosed(undefined);
  }

  private onConnectionClosed(error: void | Error): void {
    if (this.currentPhase === 'stopping' || this.currentPhase === 'stopped') return;
    const reason = error instanceof Error ? error : new Error('the NATS connection closed');
    this.logger.error({ reason: errorSummary(reason) }, 'the NATS connection closed; node stopped');
    this.currentPhase = 'stopped';
    this.desk.abandon();
    void this.session.endPresence();
    this.resolveClosed(reason);
  }
}
