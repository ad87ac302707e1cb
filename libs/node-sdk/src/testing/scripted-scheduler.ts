import {
  ContractViolationError,
  assignmentSubject,
  cancellationSubject,
  decodeJson,
  parseAssignmentReply,
  parseNodeAnnouncement,
  parseNodeGoodbye,
  parseNodeHeartbeat,
  parseNodeReportSubject,
  parseProgressReport,
  parseResultReport,
} from '@canopy/contracts';
import type {
  AnnouncementReply,
  AssignmentReply,
  Cancellation,
  HeartbeatReply,
  NodeAck,
  NodeAnnouncement,
  NodeGoodbye,
  NodeHeartbeat,
  NodeReportKind,
  ProgressReport,
  ResultReport,
} from '@canopy/contracts';
import { connect } from '@nats-io/transport-node';
import type { Msg, NatsConnection } from '@nats-io/transport-node';

/** What a node sends, by report kind, as the scheduler parses it. */
export interface NodeReports {
  announce: NodeAnnouncement;
  heartbeat: NodeHeartbeat;
  progress: ProgressReport;
  result: ResultReport;
  goodbye: NodeGoodbye;
}

/** What the scheduler answers, by report kind. */
export interface SchedulerReplies {
  announce: AnnouncementReply;
  heartbeat: HeartbeatReply;
  progress: NodeAck;
  result: NodeAck;
  goodbye: NodeAck;
}

/**
 * Decides the reply to one report; `occurrence` counts reports of that kind from 1. 'ignore' sends
 * no reply at all, as if it were lost.
 */
export type ScriptedAnswer<K extends NodeReportKind> = (
  report: NodeReports[K],
  occurrence: number,
) => SchedulerReplies[K] | 'ignore';

export interface ReceivedReport<K extends NodeReportKind> {
  readonly report: NodeReports[K];
  readonly occurrence: number;
  /** False when the script ignored it. */
  readonly answered: boolean;
}

export interface ScriptedSchedulerOptions {
  readonly servers: string | string[];
  /** The one node this scheduler talks to. */
  readonly nodeId: string;
  /** Named in the default announcement reply; default 100 ms so tests see heartbeats quickly. */
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  /**
   * Scripts in place before the first report can arrive (a report that comes while {@link
   * ScriptedScheduler.start} is still resolving would otherwise get the default answer).
   */
  readonly answers?: { readonly [K in NodeReportKind]?: ScriptedAnswer<K> };
}

interface Waiter {
  readonly kind: NodeReportKind;
  readonly matches: (report: unknown) => boolean;
  readonly resolve: (report: unknown) => void;
}

const parsers: { [K in NodeReportKind]: (value: unknown) => NodeReports[K] } = {
  announce: parseNodeAnnouncement,
  heartbeat: parseNodeHeartbeat,
  progress: parseProgressReport,
  result: parseResultReport,
  goodbye: parseNodeGoodbye,
};

/**
 * A stand-in for Canopy's scheduler, for testing a node against a real NATS server: it answers one
 * node's reports on `canopy.node.<nodeId>.*` as the scripts say (by default: accept everything),
 * records them, and sends assignments and cancellations. Every report is checked against the
 * contracts; a malformed one is recorded in {@link invalidReports} and refused.
 */
export class ScriptedScheduler {
  private readonly answers: { [K in NodeReportKind]: ScriptedAnswer<K> };
  private readonly log: { [K in NodeReportKind]: ReceivedReport<K>[] } = {
    announce: [],
    heartbeat: [],
    progress: [],
    result: [],
    goodbye: [],
  };
  private waiters: Waiter[] = [];
  /** Reports that broke the contract: subject and what was wrong. */
  readonly invalidReports: { subject: string; problem: string }[] = [];

  private constructor(
    private readonly connection: NatsConnection,
    readonly nodeId: string,
    options: ScriptedSchedulerOptions,
  ) {
    const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 100;
    const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? heartbeatIntervalMs * 3;
    this.answers = {
      announce: () => ({ ok: true, heartbeatIntervalMs, heartbeatTimeoutMs }),
      heartbeat: () => ({ ok: true }),
      progress: () => ({ ok: true }),
      result: () => ({ ok: true }),
      goodbye: () => ({ ok: true }),
      ...options.answers,
    };
  }

  /** Connects and subscribes; resolves once the server has registered the subscription. */
  static async start(options: ScriptedSchedulerOptions): Promise<ScriptedScheduler> {
    const connection = await connect({ servers: options.servers, name: 'scripted-scheduler' });
    const scheduler = new ScriptedScheduler(connection, options.nodeId, options);
    connection.subscribe(`canopy.node.${options.nodeId}.*`, {
      callback: (error, msg) => {
        if (error === null) scheduler.receive(msg);
      },
    });
    await connection.flush();
    return scheduler;
  }

  /** Replaces the script for one kind of report. */
  answer<K extends NodeReportKind>(kind: K, answer: ScriptedAnswer<K>): void {
    (this.answers as Record<K, ScriptedAnswer<K>>)[kind] = answer;
  }

  /** Every report of `kind` received so far, in order. */
  received<K extends NodeReportKind>(kind: K): readonly ReceivedReport<K>[] {
    return this.log[kind];
  }

  /**
   * The first report of `kind` (received before or after the call) that satisfies `matches`.
   * Rejects after `timeoutMs`, naming what it waited for.
   */
  waitFor<K extends NodeReportKind>(
    kind: K,
    matches: (report: NodeReports[K]) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<NodeReports[K]> {
    const seen = this.log[kind].find(({ report }) => matches(report));
    if (seen !== undefined) return Promise.resolve(seen.report);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        kind,
        matches: (report) => matches(report as NodeReports[K]),
        resolve: (report) => {
          clearTimeout(timer);
          resolve(report as NodeReports[K]);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        reject(
          new Error(
            `no matching ${kind} from node ${this.nodeId} within ${timeoutMs} ms ` +
              `(${this.log[kind].length} ${kind} received)`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Sends an assignment (anything, so tests can send invalid ones) and returns the node's reply. */
  async assign(assignment: unknown, timeoutMs = 5_000): Promise<AssignmentReply> {
    const reply = await this.connection.request(
      assignmentSubject(this.nodeId),
      JSON.stringify(assignment),
      { timeout: timeoutMs },
    );
    return parseAssignmentReply(decodeJson(reply.data, 'assignment reply'));
  }

  async cancel(cancellation: Cancellation): Promise<void> {
    this.connection.publish(cancellationSubject(this.nodeId), JSON.stringify(cancellation));
    await this.connection.flush();
  }

  async close(): Promise<void> {
    if (!this.connection.isClosed()) await this.connection.drain();
  }

  private receive(msg: Msg): void {
    let kind: NodeReportKind;
    try {
      kind = parseNodeReportSubject(msg.subject).kind;
    } catch (error) {
      this.invalidReports.push({ subject: msg.subject, problem: String(error) });
      return;
    }
    this.receiveKind(kind, msg);
  }

  private receiveKind<K extends NodeReportKind>(kind: K, msg: Msg): void {
    let report: NodeReports[K];
    try {
      report = parsers[kind](decodeJson(msg.data, kind));
    } catch (error) {
      const problem = error instanceof ContractViolationError ? error.message : String(error);
      this.invalidReports.push({ subject: msg.subject, problem });
      msg.respond(
        JSON.stringify(
          kind === 'announce' || kind === 'heartbeat'
            ? { ok: false, error: { code: 'INVALID_REQUEST', message: problem } }
            : { ok: false, error: { code: 'INVALID_REQUEST', message: problem }, retry: false },
        ),
      );
      return;
    }
    const received = this.log[kind];
    const occurrence = received.length + 1;
    const answer = (this.answers as Record<K, ScriptedAnswer<K>>)[kind](report, occurrence);
    received.push({ report, occurrence, answered: answer !== 'ignore' });
    if (answer !== 'ignore') msg.respond(JSON.stringify(answer));
    const ready = this.waiters.filter((waiter) => waiter.kind === kind && waiter.matches(report));
    this.waiters = this.waiters.filter((waiter) => !ready.includes(waiter));
    for (const waiter of ready) waiter.resolve(report);
  }
}
