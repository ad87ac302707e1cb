import {
  ContractViolationError,
  assignmentSubject,
  cancellationSubject,
  decodeJson,
  parseAssignment,
  parseCancellation,
} from '@canopy/contracts';
import type { Assignment, AssignmentReply } from '@canopy/contracts';
import type { Msg, MsgHdrs, NatsConnection, Subscription } from '@nats-io/transport-node';
import { AttemptReporter } from './attempt-reporter.js';
import { errorSummary } from './node-logger.js';
import type { NodeLogger } from './node-logger.js';
import type { Workload } from './node-session.js';
import type { RetryPolicy } from './retry-policy.js';
import { responseToReport } from './run-outcome.js';
import { RunTrace } from './run-tracing.js';
import { settledWithin } from './settled-within.js';
import { SlotLedger, attemptKey } from './slot-ledger.js';
import type { AttemptRef } from './slot-ledger.js';
import { TaskRun } from './task-run.js';
import type { RunOutcome, TaskHandler } from './task-run.js';

/** How long aborted handlers get to settle before the node says goodbye without them. */
const ABORT_SETTLE_MS = 10_000;
/** Cancellations of attempts not (yet) here that are remembered, in case their assignment follows. */
const EARLY_CANCELLATIONS_KEPT = 1_024;

interface ActiveRun {
  readonly run: TaskRun;
  readonly settled: Promise<void>;
}

export interface AssignmentDeskOptions {
  readonly nodeId: string;
  readonly slots: number;
  /** How progress and results are retried. */
  readonly retry: RetryPolicy;
  readonly logger: NodeLogger;
}

/**
 * Where the node's work comes in and goes out: takes the scheduler's assignments (never more at
 * once than the slots), runs each through the handler, aborts what the scheduler cancels, and
 * reports progress and results, holding each attempt until its result is acknowledged.
 */
export class AssignmentDesk implements Workload {
  private readonly ledger: SlotLedger;
  private readonly reporter: AttemptReporter;
  private readonly runs = new Map<string, ActiveRun>();
  private readonly subscriptions: Subscription[] = [];
  private connection: NatsConnection | undefined;
  /** The highest leadership epoch an assignment came with: lower ones are a deposed leader's. */
  private highestEpoch = 0;
  /**
   * Attempts cancelled before their assignment arrived (the scheduler records an assignment, then
   * sends it; a cancellation sent meanwhile can overtake it): their assignment is refused.
   */
  private readonly cancelledEarly = new Set<string>();

  constructor(private readonly options: AssignmentDeskOptions) {
    this.ledger = new SlotLedger(options.slots);
    this.reporter = new AttemptReporter({
      nodeId: options.nodeId,
      policy: options.retry,
      logger: options.logger,
    });
  }

  /** Starts taking the node's assignments and cancellations on `connection`. */
  open(connection: NatsConnection, handler: TaskHandler): void {
    this.connection = connection;
    this.reporter.attach(connection);
    const { nodeId, logger } = this.options;
    this.subscriptions.push(
      connection.subscribe(assignmentSubject(nodeId), {
        callback: (error, msg) => {
          if (error !== null) {
            logger.warn({ reason: errorSummary(error) }, 'assignment subscription error');
            return;
          }
          try {
            this.takeAssignment(msg, handler);
          } catch (failure) {
            // Nothing a scheduler sends may crash the node.
            logger.error({ reason: errorSummary(failure) }, 'failed to handle an assignment');
          }
        },
      }),
      connection.subscribe(cancellationSubject(nodeId), {
        callback: (error, msg) => {
          if (error !== null) {
            logger.warn({ reason: errorSummary(error) }, 'cancellation subscription error');
            return;
          }
          this.takeCancellation(msg);
        },
      }),
    );
  }

  runningTasks(): AttemptRef[] {
    return this.ledger.ownedAttempts();
  }

  freeSlots(): number {
    // While stopping the node takes nothing new, so it offers nothing.
    return this.ledger.acceptsWork ? this.ledger.freeSlots : 0;
  }

  /** From now on every new assignment is rejected with NODE_STOPPING. */
  close(): void {
    this.ledger.close();
  }

  /**
   * Lets running tasks finish for `graceMs`, aborts the rest (their attempts are handed back, no
   * result is reported), and waits for results to be acknowledged until the grace is over.
   */
  async windDown(graceMs: number): Promise<void> {
    const { logger } = this.options;
    logger.info({ graceMs, runningTasks: this.runs.size }, 'stopping');
    const deadline = performance.now() + Math.max(0, graceMs);
    await settledWithin(this.allRunsSettled(), graceMs);
    this.abortRuns();
    if (!(await settledWithin(this.allRunsSettled(), ABORT_SETTLE_MS))) {
      logger.warn(
        { tasks: [...this.runs.values()].map(({ run }) => run.ref) },
        'handlers did not settle after being aborted; stopping without them',
      );
    }
    await this.reporter.finishWithin(Math.max(0, deadline - performance.now()));
  }

  /** The connection is gone for good: abort everything at once. */
  abandon(): void {
    this.ledger.close();
    this.reporter.abandonAll();
    this.abortRuns();
  }

  /** Stops taking assignments and cancellations. */
  async unsubscribe(): Promise<void> {
    if (this.connection === undefined || this.connection.isClosed()) return;
    await Promise.all(
      this.subscriptions.map((subscription) =>
        subscription.drain().catch((error: unknown) => {
          this.options.logger.warn({ reason: errorSummary(error) }, 'unsubscribing failed');
        }),
      ),
    );
  }

  private takeAssignment(msg: Msg, handler: TaskHandler): void {
    const { logger } = this.options;
    if (msg.reply === undefined || msg.reply === '') {
      logger.warn({}, 'ignored an assignment sent without a reply subject');
      return;
    }
    let assignment: Assignment;
    try {
      assignment = parseAssignment(decodeJson(msg.data, 'assignment'));
    } catch (failure) {
      const reason =
        failure instanceof ContractViolationError ? failure.message : 'Invalid assignment';
      logger.warn({ reason }, 'rejected an invalid assignment');
      reply(msg, { accepted: false, reason });
      return;
    }
    const ref = { taskId: assignment.taskId, attempt: assignment.attempt };
    if (assignment.epoch < this.highestEpoch) {
      logger.info(
        { ...ref, epoch: assignment.epoch, highestEpoch: this.highestEpoch },
        'rejected an assignment of a deposed scheduler',
      );
      reply(msg, { accepted: false, reason: 'STALE_EPOCH' });
      return;
    }
    this.highestEpoch = assignment.epoch;
    if (this.cancelledEarly.delete(attemptKey(ref))) {
      logger.info(ref, 'rejected an assignment cancelled before it arrived');
      reply(msg, { accepted: false, reason: 'CANCELLED' });
      return;
    }
    const admission = this.ledger.admit(ref);
    switch (admission.kind) {
      case 'admitted':
        reply(msg, { accepted: true });
        this.run(assignment, handler, msg.headers);
        return;
      case 'duplicate':
        logger.info(ref, 'assignment repeated; accepted again, not run twice');
        reply(msg, { accepted: true });
        return;
      case 'rejected':
        logger.info({ ...ref, reason: admission.reason }, 'rejected an assignment');
        reply(msg, { accepted: false, reason: admission.reason });
        return;
      default: {
        const unknown: never = admission;
        throw new Error(`unknown admission ${JSON.stringify(unknown)}`);
      }
    }
  }

  private run(assignment: Assignment, handler: TaskHandler, headers: MsgHdrs | undefined): void {
    const run = new TaskRun(
      assignment,
      this.reporter.sendProgress,
      new RunTrace(assignment, headers),
    );
    this.options.logger.info(
      { ...run.ref, functionId: assignment.functionId, timeout: assignment.timeout },
      'task started',
    );
    const settled = run
      .execute(handler)
      .then((outcome) => this.afterRun(run.ref, outcome, run.trace));
    this.runs.set(attemptKey(run.ref), { run, settled });
  }

  private afterRun(ref: AttemptRef, outcome: RunOutcome, trace: RunTrace): void {
    this.runs.delete(attemptKey(ref));
    const response = responseToReport(ref, outcome, this.options.logger);
    if (response === undefined) {
      this.ledger.settle(ref);
      return;
    }
    this.ledger.finish(ref);
    void this.reporter
      .reportResult(ref, response, trace.reportHeaders())
      .then(() => this.ledger.settle(ref));
  }

  private takeCancellation(msg: Msg): void {
    const { logger } = this.options;
    try {
      const cancellation = parseCancellation(decodeJson(msg.data, 'cancellation'));
      const ref = { taskId: cancellation.taskId, attempt: cancellation.attempt };
      const active = this.runs.get(attemptKey(ref));
      if (active !== undefined) {
        active.run.abort({ kind: 'cancelled', reason: cancellation.reason });
        return;
      }
      if (this.reporter.withdrawResult(ref)) {
        logger.info(
          { ...ref, reason: cancellation.reason },
          'attempt cancelled while its result was being reported; no longer reporting it',
        );
        return;
      }
      logger.debug(
        { ...ref, reason: cancellation.reason },
        'cancellation for an attempt not running here',
      );
      this.rememberEarlyCancellation(attemptKey(ref));
    } catch (failure) {
      const reason =
        failure instanceof ContractViolationError ? failure.message : errorSummary(failure);
      logger.warn({ reason }, 'ignored an invalid cancellation');
    }
  }

  private rememberEarlyCancellation(key: string): void {
    this.cancelledEarly.add(key);
    if (this.cancelledEarly.size <= EARLY_CANCELLATIONS_KEPT) return;
    // A Set iterates in insertion order: the first one is the oldest.
    for (const oldest of this.cancelledEarly) {
      this.cancelledEarly.delete(oldest);
      break;
    }
  }

  private abortRuns(): void {
    for (const { run } of this.runs.values()) run.abort({ kind: 'stopping' });
  }

  private allRunsSettled(): Promise<unknown> {
    return Promise.all([...this.runs.values()].map(({ settled }) => settled));
  }
}

function reply(msg: Msg, answer: AssignmentReply): void {
  msg.respond(JSON.stringify(answer));
}
