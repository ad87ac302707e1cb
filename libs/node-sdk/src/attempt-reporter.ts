import { randomUUID } from 'node:crypto';
import { nodeReportAgainSubject, nodeReportSubject } from '@canopy/contracts';
import type { ProgressReport, TaskResponse } from '@canopy/contracts';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { encodeResultReport } from './function-response.js';
import { errorSummary } from './node-logger.js';
import type { NodeLogger } from './node-logger.js';
import { deliverReport } from './report-delivery.js';
import type { RetryPolicy } from './retry-policy.js';
import { settledWithin } from './settled-within.js';
import { attemptKey } from './slot-ledger.js';
import type { AttemptRef } from './slot-ledger.js';
import type { ProgressSender } from './task-run.js';

/** NATS's default `max_payload`, used until the server has said otherwise. */
const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;

interface PendingResult {
  readonly controller: AbortController;
  readonly delivered: Promise<void>;
}

export interface AttemptReporterOptions {
  readonly nodeId: string;
  readonly policy: RetryPolicy;
  readonly logger: NodeLogger;
}

/**
 * Sends the progress and results of the node's attempts to the scheduler, each retried until
 * acknowledged, refused for good, or given up: a result when its attempt is cancelled or the node
 * stops, progress when a newer value or the result makes it pointless.
 */
export class AttemptReporter {
  private readonly pendingResults = new Map<string, PendingResult>();
  /** Abandons every report still being retried. */
  private readonly deliveryController = new AbortController();
  private connection: NatsConnection | undefined;
  private readonly resultSubject: string;
  private readonly progressSubject: string;
  /** Where retries go: every scheduler replica, not the queue group's pick that did not answer. */
  private readonly resultAgainSubject: string;
  private readonly progressAgainSubject: string;
  /** Resolves at the end of the event loop's current turn: see {@link endOfTurn}. */
  private turn: Promise<void> | undefined;

  constructor(private readonly options: AttemptReporterOptions) {
    this.resultSubject = nodeReportSubject(options.nodeId, 'result');
    this.resultAgainSubject = nodeReportAgainSubject(options.nodeId, 'result');
    this.progressSubject = nodeReportSubject(options.nodeId, 'progress');
    this.progressAgainSubject = nodeReportAgainSubject(options.nodeId, 'progress');
  }

  /** Reports go over `connection` from now on; until then nothing is sent. */
  attach(connection: NatsConnection): void {
    this.connection = connection;
  }

  /**
   * Reports a result; the promise resolves when reporting it is over, whatever the outcome.
   * `headers`: the run's trace context.
   */
  reportResult(ref: AttemptRef, response: TaskResponse, headers?: MsgHdrs): Promise<void> {
    const { connection } = this;
    if (connection === undefined) return Promise.resolve();
    const { logger } = this.options;
    // Aborted by a withdrawal, or by abandonAll with every other pending result: a signal of its
    // own rather than one combined with the reporter's per result, which costs more than the send.
    const controller = new AbortController();
    if (this.deliveryController.signal.aborted) controller.abort();
    const payload = encodeResultReport(
      { reportId: randomUUID(), taskId: ref.taskId, attempt: ref.attempt, response },
      connection.info?.max_payload ?? DEFAULT_MAX_PAYLOAD_BYTES,
    );
    const delivered = this.endOfTurn()
      .then(() =>
        deliverReport({
          connection,
          subject: this.resultSubject,
          againSubject: this.resultAgainSubject,
          payload,
          headers,
          policy: this.options.policy,
          signal: controller.signal,
          onRetry: (retry, reason) =>
            logger.warn({ ...ref, retry, reason }, 'result not acknowledged; retrying'),
        }),
      )
      .then((outcome) => {
        switch (outcome.kind) {
          case 'acknowledged':
            logger.info(ref, 'result acknowledged');
            break;
          case 'refused':
            logger.warn(
              { ...ref, code: outcome.error.code, problem: outcome.error.message },
              'the scheduler refused the result for good; not retrying',
            );
            break;
          case 'abandoned':
            logger.warn(ref, 'stopped reporting the result before it was acknowledged');
            break;
          default: {
            const unknown: never = outcome;
            throw new Error(`unknown delivery outcome ${JSON.stringify(unknown)}`);
          }
        }
        this.pendingResults.delete(attemptKey(ref));
      });
    this.pendingResults.set(attemptKey(ref), { controller, delivered });
    return delivered;
  }

  /** Stops reporting the attempt's result, if it is being reported; false when it is not. */
  withdrawResult(ref: AttemptRef): boolean {
    const pending = this.pendingResults.get(attemptKey(ref));
    pending?.controller.abort();
    return pending !== undefined;
  }

  /**
   * Waits up to `ms` for the results being reported to be acknowledged, then gives up on the rest
   * and on any progress; resolves when no report is retried any more.
   */
  async finishWithin(ms: number): Promise<void> {
    await settledWithin(this.allResultsDelivered(), ms);
    this.abandonAll();
    await this.allResultsDelivered();
  }

  /** Gives up on every report at once (the connection is gone for good). */
  abandonAll(): void {
    this.deliveryController.abort();
    for (const { controller } of this.pendingResults.values()) controller.abort();
  }

  readonly sendProgress: ProgressSender = async (ref, percent, superseded, signal, headers) => {
    const { connection } = this;
    if (connection === undefined) return 'final';
    const { logger } = this.options;
    const report: ProgressReport = {
      reportId: randomUUID(),
      taskId: ref.taskId,
      attempt: ref.attempt,
      progress: percent,
    };
    try {
      const outcome = await deliverReport({
        connection,
        subject: this.progressSubject,
        againSubject: this.progressAgainSubject,
        payload: JSON.stringify(report),
        headers,
        policy: this.options.policy,
        signal: AbortSignal.any([signal, this.deliveryController.signal]),
        superseded,
        onRetry: (retry, reason) =>
          logger.debug({ ...ref, retry, reason }, 'progress not acknowledged; retrying'),
      });
      switch (outcome.kind) {
        case 'acknowledged':
        case 'abandoned':
          return 'sent';
        case 'refused':
          logger.info(
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
      logger.warn({ ...ref, reason: errorSummary(failure) }, 'could not send progress');
      return 'final';
    }
  };

  /**
   * Resolves once the event loop's current turn has run its callbacks (in its check phase), the same
   * promise for every result reported in the turn: they are then sent together, and the NATS client
   * writes them to its socket at once. Results of attempts that finished in the same turn (several
   * function processes answered, or assignments arrived together) thus share one write, where each
   * would otherwise cost a write of its own. (Progress is sent at once: the first value of a run
   * is not held back for a later one to supersede.)
   */
  private endOfTurn(): Promise<void> {
    this.turn ??= new Promise((resolve) => {
      setImmediate(() => {
        this.turn = undefined;
        resolve();
      });
    });
    return this.turn;
  }

  private allResultsDelivered(): Promise<unknown> {
    return Promise.all([...this.pendingResults.values()].map(({ delivered }) => delivered));
  }
}
