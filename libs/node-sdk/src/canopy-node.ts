import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import {
  ContractViolationError,
  assignmentSubject,
  cancellationSubject,
  decodeJson,
  nodeInboxPrefix,
  nodeReportSubject,
  parseAssignment,
  parseCancellation,
} from '@canopy/contracts';
import type {
  Assignment,
  AssignmentReply,
  NodeGoodbye,
  ProgressReport,
  TaskResponse,
} from '@canopy/contracts';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { encodeResultReport, platformResponse, responseFromResult } from './function-response.js';
import { errorSummary, withFields } from './node-logger.js';
import type { NodeLogger } from './node-logger.js';
import { resolveNodeOptions } from './node-options.js';
import type { CanopyNodeOptions, ResolvedNodeOptions } from './node-options.js';
import { keepPresence } from './node-presence.js';
import { deliverReport } from './report-delivery.js';
import { SlotLedger, attemptKey } from './slot-ledger.js';
import type { AttemptRef } from './slot-ledger.js';
import { TaskRun } from './task-run.js';
import type { ProgressSender, RunOutcome, TaskHandler } from './task-run.js';

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
/** How long aborted handlers get to settle before the node says goodbye without them. */
const ABORT_SETTLE_MS = 10_000;
const GOODBYE_ATTEMPTS = 3;
/**
 * Goodbye is a courtesy (the scheduler declares a silent node lost anyway): each attempt waits this
 * long at most, so a node whose NATS server is gone still stops within seconds.
 */
const GOODBYE_REQUEST_TIMEOUT_MS = 1_500;
/** NATS's default `max_payload`, used until the server has said otherwise. */
const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

interface ActiveRun {
  readonly run: TaskRun;
  readonly settled: Promise<void>;
}

interface PendingResult {
  readonly controller: AbortController;
  readonly delivered: Promise<void>;
}

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
  private readonly options: ResolvedNodeOptions;
  private readonly logger: NodeLogger;
  private readonly ledger: SlotLedger;
  private readonly runs = new Map<string, ActiveRun>();
  private readonly pendingResults = new Map<string, PendingResult>();
  /** Ends announcing and heartbeating. */
  private readonly presenceController = new AbortController();
  /** Abandons every report still being retried. */
  private readonly deliveryController = new AbortController();
  private readonly subscriptions: Subscription[] = [];
  private currentPhase: NodePhase = 'new';
  private handler: TaskHandler | undefined;
  private connecting: Promise<NatsConnection> | undefined;
  private connection: NatsConnection | undefined;
  private presence: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private resolveClosed: (error: Error | undefined) => void = () => undefined;
  private readonly closedPromise = new Promise<Error | undefined>((resolve) => {
    this.resolveClosed = resolve;
  });

  /** Validates the options (throws on a bad node id, capabilities, slots, agent or retry policy). */
  constructor(options: CanopyNodeOptions) {
    this.options = resolveNodeOptions(options);
    this.nodeId = this.options.nodeId;
    this.logger = withFields(this.options.logger, { nodeId: this.nodeId });
    this.ledger = new SlotLedger(this.options.slots);
  }

  get phase(): NodePhase {
    return this.currentPhase;
  }

  /**
   * Connects (unless given a connection), subscribes to the node's assignments and cancellations,
   * and announces the node, retrying until the scheduler accepts. Resolves once announced, or when
   * {@link stop} is called first; rejects if the connection cannot be opened. Heartbeats (and
   * announcing again when the scheduler has forgotten the node) continue in the background.
   */
  async start(handler: TaskHandler): Promise<void> {
    if (this.currentPhase !== 'new') {
      throw new Error(`the node cannot start: it is ${this.currentPhase}`);
    }
    this.currentPhase = 'starting';
    this.handler = handler;
    const connecting = this.openConnection();
    this.connecting = connecting;
    let connection: NatsConnection;
    try {
      connection = await connecting;
    } catch (error) {
      this.currentPhase = 'stopped';
      this.resolveClosed(error instanceof Error ? error : new Error(String(error)));
      throw error;
    }
    // stop() was called while connecting: it takes over from here.
    if (this.currentPhase !== 'starting') return;
    this.connection = connection;
    void connection.closed().then((error) => this.onConnectionClosed(error));
    this.subscriptions.push(
      connection.subscribe(assignmentSubject(this.nodeId), {
        callback: (error, msg) => this.onAssignment(error, msg),
      }),
      connection.subscribe(cancellationSubject(this.nodeId), {
        callback: (error, msg) => this.onCancellation(error, msg),
      }),
    );
    let announced: () => void = () => undefined;
    const firstAnnouncement = new Promise<void>((resolve) => {
      announced = resolve;
    });
    this.presence = keepPresence({
      connection,
      nodeId: this.nodeId,
      policy: this.options.retry,
      logger: this.logger,
      signal: this.presenceController.signal,
      announcement: () => ({
        nodeId: this.nodeId,
        capabilities: this.options.capabilities,
        slots: this.options.slots,
        runningTasks: this.ledger.ownedAttempts(),
        agent: this.options.agent,
      }),
      heartbeat: () => ({
        nodeId: this.nodeId,
        // While stopping the node takes nothing new, so it offers nothing.
        freeSlots: this.ledger.acceptsWork ? this.ledger.freeSlots : 0,
        runningTasks: this.ledger.ownedAttempts(),
        sentAt: new Date().toISOString(),
      }),
      onAnnounced: announced,
    });
    await Promise.race([firstAnnouncement, this.presence]);
    if (this.currentPhase === 'starting') this.currentPhase = 'running';
  }

  /**
   * Stops the node: rejects new assignments at once, lets running tasks finish for `graceMs`, aborts
   * the rest (their attempts are handed back, no result is reported), stops retrying reports, says
   * goodbye to the scheduler and drains the connection it opened. Idempotent: every call returns
   * the same promise. Never rejects.
   */
  stop(options: StopOptions = {}): Promise<void> {
    this.stopping ??= this.shutdown(options.graceMs ?? DEFAULT_GRACE_MS);
    return this.stopping;
  }

  /**
   * Resolves when the node has stopped: with undefined after {@link stop}, or with the error when
   * the connection closed for good on its own (or could not be opened).
   */
  closed(): Promise<Error | undefined> {
    return this.closedPromise;
  }

  private async openConnection(): Promise<NatsConnection> {
    const { target } = this.options;
    switch (target.kind) {
      case 'connection':
        return target.connection;
      case 'servers':
        try {
          return await connect({
            name: `canopy-node ${this.nodeId}`,
            // A node outlives network trouble: keep reconnecting unless told otherwise.
            maxReconnectAttempts: -1,
            ...this.options.connectionOptions,
            ...(this.options.credentials === undefined
              ? {}
              : {
                  authenticator: credsAuthenticator(
                    new TextEncoder().encode(this.options.credentials),
                  ),
                }),
            servers: target.servers,
            inboxPrefix: nodeInboxPrefix(this.nodeId),
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

  private onAssignment(error: Error | null, msg: Msg): void {
    if (error !== null) {
      this.logger.warn({ reason: errorSummary(error) }, 'assignment subscription error');
      return;
    }
    try {
      this.takeAssignment(msg);
    } catch (failure) {
      // Nothing a scheduler sends may crash the node.
      this.logger.error({ reason: errorSummary(failure) }, 'failed to handle an assignment');
    }
  }

  private takeAssignment(msg: Msg): void {
    if (msg.reply === undefined || msg.reply === '') {
      this.logger.warn({}, 'ignored an assignment sent without a reply subject');
      return;
    }
    let assignment: Assignment;
    try {
      assignment = parseAssignment(decodeJson(msg.data, 'assignment'));
    } catch (failure) {
      const reason =
        failure instanceof ContractViolationError ? failure.message : 'Invalid assignment';
      this.logger.warn({ reason }, 'rejected an invalid assignment');
      reply(msg, { accepted: false, reason });
      return;
    }
    const ref = { taskId: assignment.taskId, attempt: assignment.attempt };
    const admission = this.ledger.admit(ref);
    switch (admission.kind) {
      case 'admitted':
        reply(msg, { accepted: true });
        this.run(assignment);
        return;
      case 'duplicate':
        this.logger.info(ref, 'assignment repeated; accepted again, not run twice');
        reply(msg, { accepted: true });
        return;
      case 'rejected':
        this.logger.info({ ...ref, reason: admission.reason }, 'rejected an assignment');
        reply(msg, { accepted: false, reason: admission.reason });
        return;
      default: {
        const unknown: never = admission;
        throw new Error(`unknown admission ${JSON.stringify(unknown)}`);
      }
    }
  }

  private run(assignment: Assignment): void {
    const handler = this.handler;
    if (handler === undefined) throw new Error('no task handler');
    const run = new TaskRun(assignment, this.sendProgress);
    this.logger.info(
      { ...run.ref, functionId: assignment.functionId, timeout: assignment.timeout },
      'task started',
    );
    const settled = run.execute(handler).then((outcome) => this.afterRun(run.ref, outcome));
    this.runs.set(attemptKey(run.ref), { run, settled });
  }

  private afterRun(ref: AttemptRef, outcome: RunOutcome): void {
    this.runs.delete(attemptKey(ref));
    const response = this.responseFor(ref, outcome);
    if (response === undefined) {
      this.ledger.settle(ref);
      return;
    }
    this.ledger.finish(ref);
    this.reportResult(ref, response);
  }

  /** The response to report for a finished run, or undefined when the attempt is handed back. */
  private responseFor(ref: AttemptRef, outcome: RunOutcome): TaskResponse | undefined {
    switch (outcome.kind) {
      case 'responded':
        try {
          const response = responseFromResult(outcome.result);
          this.logger.info({ ...ref, status: response.status }, 'task finished');
          return response;
        } catch (failure) {
          const problem = errorSummary(failure);
          this.logger.warn({ ...ref, problem }, 'the handler returned an invalid response');
          return platformResponse(
            500,
            `The node's handler returned an invalid response (${
              failure instanceof ContractViolationError ? failure.message : 'unreadable'
            }).`,
          );
        }
      case 'threw':
        this.logger.error({ ...ref, reason: errorSummary(outcome.error) }, 'the handler failed');
        return platformResponse(500, 'The node failed to run the function.');
      case 'aborted': {
        const { abort } = outcome;
        switch (abort.kind) {
          case 'timeout':
            // The platform decides a timeout: the scheduler records TaskFailed(TIMEOUT, 504) on
            // its own clock. A node's 504 would make it look like the function's own answer.
            this.logger.info({ ...ref, timeout: abort.timeoutSeconds }, 'task timed out');
            return undefined;
          case 'cancelled':
            this.logger.info({ ...ref, reason: abort.reason }, 'task cancelled');
            return undefined;
          case 'stopping':
            this.logger.info(ref, 'task aborted: the node is stopping');
            return undefined;
          default: {
            const unknown: never = abort;
            throw new Error(`unknown task abort ${JSON.stringify(unknown)}`);
          }
        }
      }
      default: {
        const unknown: never = outcome;
        throw new Error(`unknown run outcome ${JSON.stringify(unknown)}`);
      }
    }
  }

  private reportResult(ref: AttemptRef, response: TaskResponse): void {
    const connection = this.connection;
    if (connection === undefined) return;
    const controller = new AbortController();
    const payload = encodeResultReport(
      { reportId: randomUUID(), taskId: ref.taskId, attempt: ref.attempt, response },
      connection.info?.max_payload ?? DEFAULT_MAX_PAYLOAD_BYTES,
    );
    const delivered = deliverReport({
      connection,
      subject: nodeReportSubject(this.nodeId, 'result'),
      payload,
      policy: this.options.retry,
      signal: AbortSignal.any([controller.signal, this.deliveryController.signal]),
      onRetry: (retry, reason) =>
        this.logger.warn({ ...ref, retry, reason }, 'result not acknowledged; retrying'),
    }).then((outcome) => {
      switch (outcome.kind) {
        case 'acknowledged':
          this.logger.info(ref, 'result acknowledged');
          break;
        case 'refused':
          this.logger.warn(
            { ...ref, code: outcome.error.code, problem: outcome.error.message },
            'the scheduler refused the result for good; not retrying',
          );
          break;
        case 'abandoned':
          this.logger.warn(ref, 'stopped reporting the result before it was acknowledged');
          break;
        default: {
          const unknown: never = outcome;
          throw new Error(`unknown delivery outcome ${JSON.stringify(unknown)}`);
        }
      }
      this.pendingResults.delete(attemptKey(ref));
      this.ledger.settle(ref);
    });
    this.pendingResults.set(attemptKey(ref), { controller, delivered });
  }

  private readonly sendProgress: ProgressSender = async (ref, percent, superseded, signal) => {
    const connection = this.connection;
    if (connection === undefined) return 'final';
    const report: ProgressReport = {
      reportId: randomUUID(),
      taskId: ref.taskId,
      attempt: ref.attempt,
      progress: percent,
    };
    try {
      const outcome = await deliverReport({
        connection,
        subject: nodeReportSubject(this.nodeId, 'progress'),
        payload: JSON.stringify(report),
        policy: this.options.retry,
        signal: AbortSignal.any([signal, this.deliveryController.signal]),
        superseded,
        onRetry: (retry, reason) =>
          this.logger.debug({ ...ref, retry, reason }, 'progress not acknowledged; retrying'),
      });
      switch (outcome.kind) {
        case 'acknowledged':
        case 'abandoned':
          return 'sent';
        case 'refused':
          this.logger.info(
            { ...ref, code: outcome.error.code },
            'the scheduler refused progress for good; sending no more for this attempt',
          );
          return 'final';
        default: {
          const unknown: never = outcome;
          throw new Error(`unknown delivery outcome ${JSON.stringify(unknown)}`);
        }
      }
    } catch (failure) {
      this.logger.warn({ ...ref, reason: errorSummary(failure) }, 'could not send progress');
      return 'final';
    }
  };

  private onCancellation(error: Error | null, msg: Msg): void {
    if (error !== null) {
      this.logger.warn({ reason: errorSummary(error) }, 'cancellation subscription error');
      return;
    }
    try {
      const cancellation = parseCancellation(decodeJson(msg.data, 'cancellation'));
      const ref = { taskId: cancellation.taskId, attempt: cancellation.attempt };
      const key = attemptKey(ref);
      const active = this.runs.get(key);
      if (active !== undefined) {
        active.run.abort({ kind: 'cancelled', reason: cancellation.reason });
        return;
      }
      const pending = this.pendingResults.get(key);
      if (pending !== undefined) {
        this.logger.info(
          { ...ref, reason: cancellation.reason },
          'attempt cancelled while its result was being reported; no longer reporting it',
        );
        pending.controller.abort();
        return;
      }
      this.logger.debug(
        { ...ref, reason: cancellation.reason },
        'cancellation for an attempt not running here',
      );
    } catch (failure) {
      const reason =
        failure instanceof ContractViolationError ? failure.message : errorSummary(failure);
      this.logger.warn({ reason }, 'ignored an invalid cancellation');
    }
  }

  private async shutdown(graceMs: number): Promise<void> {
    const before = this.currentPhase;
    this.currentPhase = 'stopping';
    this.ledger.close();
    const connection = await this.connecting?.catch(() => undefined);
    if (before === 'new' || connection === undefined) {
      this.presenceController.abort();
      this.currentPhase = 'stopped';
      this.resolveClosed(undefined);
      return;
    }
    this.logger.info({ graceMs, runningTasks: this.runs.size }, 'stopping');
    const deadline = performance.now() + Math.max(0, graceMs);
    await settledWithin(this.allRunsSettled(), graceMs);
    for (const { run } of this.runs.values()) run.abort({ kind: 'stopping' });
    if (!(await settledWithin(this.allRunsSettled(), ABORT_SETTLE_MS))) {
      this.logger.warn(
        { tasks: [...this.runs.values()].map(({ run }) => run.ref) },
        'handlers did not settle after being aborted; stopping without them',
      );
    }
    await settledWithin(this.allResultsDelivered(), Math.max(0, deadline - performance.now()));
    this.deliveryController.abort();
    await this.allResultsDelivered();
    this.presenceController.abort();
    await this.presence;
    await this.unsubscribe(connection);
    if (this.presence !== undefined && !connection.isClosed()) await this.sayGoodbye(connection);
    if (this.options.target.kind === 'servers' && !connection.isClosed()) {
      await connection.drain().catch((error: unknown) => {
        this.logger.warn({ reason: errorSummary(error) }, 'draining the NATS connection failed');
      });
    }
    this.currentPhase = 'stopped';
    this.logger.info({}, 'stopped');
    this.resolveClosed(undefined);
  }

  private async unsubscribe(connection: NatsConnection): Promise<void> {
    if (connection.isClosed()) return;
    await Promise.all(
      this.subscriptions.map((subscription) =>
        subscription.drain().catch((error: unknown) => {
          this.logger.warn({ reason: errorSummary(error) }, 'unsubscribing failed');
        }),
      ),
    );
  }

  private async sayGoodbye(connection: NatsConnection): Promise<void> {
    const goodbye: NodeGoodbye = { nodeId: this.nodeId };
    const outcome = await deliverReport({
      connection,
      subject: nodeReportSubject(this.nodeId, 'goodbye'),
      payload: JSON.stringify(goodbye),
      policy: {
        ...this.options.retry,
        requestTimeoutMs: Math.min(this.options.retry.requestTimeoutMs, GOODBYE_REQUEST_TIMEOUT_MS),
      },
      signal: new AbortController().signal,
      maxAttempts: GOODBYE_ATTEMPTS,
    });
    if (outcome.kind === 'acknowledged') this.logger.info({}, 'said goodbye to the scheduler');
    else this.logger.warn({ outcome: outcome.kind }, 'the scheduler did not acknowledge goodbye');
  }

  private onConnectionClosed(error: void | Error): void {
    if (this.currentPhase === 'stopping' || this.currentPhase === 'stopped') return;
    const reason = error instanceof Error ? error : new Error('the NATS connection closed');
    this.logger.error({ reason: errorSummary(reason) }, 'the NATS connection closed; node stopped');
    this.currentPhase = 'stopped';
    this.ledger.close();
    this.presenceController.abort();
    this.deliveryController.abort();
    for (const { run } of this.runs.values()) run.abort({ kind: 'stopping' });
    this.resolveClosed(reason);
  }

  private allRunsSettled(): Promise<unknown> {
    return Promise.all([...this.runs.values()].map(({ settled }) => settled));
  }

  private allResultsDelivered(): Promise<unknown> {
    return Promise.all([...this.pendingResults.values()].map(({ delivered }) => delivered));
  }
}

function reply(msg: Msg, answer: AssignmentReply): void {
  msg.respond(JSON.stringify(answer));
}

/** True if `work` settled within `ms`. */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  const timer = new AbortController();
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      setTimeout(ms, false, { signal: timer.signal }),
    ]);
  } finally {
    // Race has subscribed to the timer, so the rejection this causes is handled.
    timer.abort();
  }
}
