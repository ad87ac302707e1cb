import {
  LEADER_ISSUE_TASK_BATCH_SUBJECT,
  LEADER_ISSUE_TASK_SUBJECT,
  decodeJson,
  issueTaskErrorCodes,
  parseIssueTaskBatchReply,
  parseIssueTaskReply,
} from '@canopy/contracts';
import type { IssueTaskBatchReply, IssueTaskReply } from '@canopy/contracts';
import { originOfHeaders } from '@canopy/observability';
import type { MessageOrigin } from '@canopy/observability';
import { whyUnanswered } from '@canopy/service-runtime';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { Msg, MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { Counter, type Registry } from 'prom-client';
import type { InFlightWork } from '../transport/in-flight-work.js';
import { LeaderOnlySubscriptions } from '../transport/leader-only-subscriptions.js';
import { failureReplyOf, taskIdOf } from '../transport/rpc-reply-filter.js';
import type { IssueTaskService } from './issue-task-service.js';

/** How a standby's hand-off of one request ended. */
export type HandOffOutcome = 'answered' | 'no_leader' | 'timed_out' | 'unavailable' | 'failed';

const handOffOutcomes: readonly HandOffOutcome[] = [
  'answered',
  'no_leader',
  'timed_out',
  'unavailable',
  'failed',
];

export interface LeaderHandOffOptions {
  readonly issuing: Issuing;
  readonly work: InFlightWork;
  readonly logger: ServiceLogger;
  readonly isLeader: () => boolean;
  /**
   * How long a standby waits for the leader's answer before it records the request itself; 0: it
   * never hands a request on.
   */
  readonly timeoutMs: number;
  readonly registry: Registry;
}

type Issuing = Pick<IssueTaskService, 'issue' | 'issueBatch'>;

/** A kind of request that is handed to the leader. */
interface Handed<Reply> {
  /** The leader's subject for it. */
  readonly subject: string;
  /** IssueTask or IssueTaskBatch, as problems and logs name it. */
  readonly what: string;
  readonly parse: (value: unknown) => Reply;
  /** How the leader records it. */
  readonly record: (issuing: Issuing, payload: Uint8Array, origin: MessageOrigin) => Promise<Reply>;
}

const issueTask: Handed<IssueTaskReply> = {
  subject: LEADER_ISSUE_TASK_SUBJECT,
  what: 'IssueTask',
  parse: parseIssueTaskReply,
  record: (issuing, payload, origin) => issuing.issue(payload, origin),
};
const issueTaskBatch: Handed<IssueTaskBatchReply> = {
  subject: LEADER_ISSUE_TASK_BATCH_SUBJECT,
  what: 'IssueTaskBatch',
  parse: parseIssueTaskBatchReply,
  record: (issuing, payload, origin) => issuing.issueBatch(payload, origin),
};

/**
 * Issue requests reach any scheduler replica (a queue group), but only the leader can record a new
 * task together with its assignment, in one append, when a node is free. So a standby hands the
 * IssueTask and IssueTaskBatch requests it takes on to the leader, body and headers as they came,
 * on a subject only the leading replica listens to, and passes the leader's reply back. When no
 * replica listens there (no leader, or it is changing), when the leader does not answer in time (a
 * paused or overloaded one) or answers that it could not record the request this time, the standby
 * records the request itself, as any replica can: a task is issued whoever records it, and a
 * request recorded by both is one task (the second finds it issued), so handing on costs at most the
 * wait, never a task.
 */
export class LeaderHandOff {
  private connection: NatsConnection | undefined;
  private readonly listening: LeaderOnlySubscriptions;
  private readonly handOffs: Counter<'outcome'>;

  constructor(private readonly options: LeaderHandOffOptions) {
    this.handOffs = new Counter({
      name: 'canopy_scheduler_issue_handoffs_total',
      help: 'Issue requests a standby handed on to the leader, by how it ended (only "answered" was not recorded by the standby itself)',
      labelNames: ['outcome'],
      registers: [options.registry],
    });
    for (const outcome of handOffOutcomes) this.handOffs.inc({ outcome }, 0);
    const handedKinds: readonly Handed<IssueTaskReply | IssueTaskBatchReply>[] = [
      issueTask,
      issueTaskBatch,
    ];
    this.listening = new LeaderOnlySubscriptions({
      subjects: handedKinds.map((handed) => ({
        subject: handed.subject,
        serve: (msg) => this.serve(msg, handed),
      })),
      isLeader: options.isLeader,
      logger: options.logger,
      what: 'issue requests handed to the leader',
    });
  }

  /** Once connected: from then on the replica listens on the leader's subjects while it leads. */
  attach(connection: NatsConnection): void {
    this.connection = connection;
    this.listening.attach(connection);
  }

  /** Listens on the leader's subjects when this replica leads, and not when it does not. */
  leadershipChanged(): void {
    this.listening.leadershipChanged();
  }

  /** The leader's reply to an IssueTask request; undefined when this replica must record it. */
  issue(payload: Uint8Array, headers: MsgHdrs | undefined): Promise<IssueTaskReply | undefined> {
    return this.handOn(issueTask, payload, headers);
  }

  /** The leader's reply to an IssueTaskBatch request; undefined when this replica must record it. */
  issueBatch(
    payload: Uint8Array,
    headers: MsgHdrs | undefined,
  ): Promise<IssueTaskBatchReply | undefined> {
    return this.handOn(issueTaskBatch, payload, headers);
  }

  private async handOn<Reply extends IssueTaskReply | IssueTaskBatchReply>(
    handed: Handed<Reply>,
    payload: Uint8Array,
    headers: MsgHdrs | undefined,
  ): Promise<Reply | undefined> {
    const connection = this.connection;
    const timeout = this.options.timeoutMs;
    if (timeout === 0 || connection === undefined || this.options.isLeader()) return undefined;
    let outcome: HandOffOutcome;
    let reply: Reply | undefined;
    try {
      const message = await connection.request(
        handed.subject,
        payload,
        headers === undefined ? { timeout } : { timeout, headers },
      );
      reply = handed.parse(decodeJson(message.data, `${handed.what} reply`));
      outcome = couldNotRecord(reply) ? 'unavailable' : 'answered';
    } catch (error) {
      const why = whyUnanswered(error);
      outcome = why === 'no_responders' ? 'no_leader' : why;
      if (outcome !== 'no_leader') {
        const reason = error instanceof Error ? error.message : String(error);
        this.options.logger.warn(
          { taskId: taskIdOf(payload), outcome, reason },
          `${handed.what} not answered by the leader; recording it here`,
        );
      }
    }
    this.handOffs.inc({ outcome });
    return outcome === 'answered' ? reply : undefined;
  }

  /** On the leader: records a request a standby handed on and answers it as the queue group would. */
  private serve(msg: Msg, handed: Handed<IssueTaskReply | IssueTaskBatchReply>): void {
    const { issuing, work, logger } = this.options;
    const origin = originOfHeaders(msg.headers);
    void work
      .run(() => handed.record(issuing, msg.data, origin))
      .catch((error: unknown) =>
        failureReplyOf(error, logger, {
          what: `${handed.what} (handed on)`,
          taskId: taskIdOf(msg.data),
        }),
      )
      .then((reply) => {
        try {
          msg.respond(JSON.stringify(reply));
        } catch (error) {
          logger.warn(
            { reason: String(error) },
            `could not answer a handed-on ${handed.what} request`,
          );
        }
      });
  }
}

/** The leader could not record it this time (its store away, it is stopping): worth a try here. */
function couldNotRecord(reply: IssueTaskReply | IssueTaskBatchReply): boolean {
  return !reply.ok && reply.error.code === issueTaskErrorCodes.UNAVAILABLE;
}
