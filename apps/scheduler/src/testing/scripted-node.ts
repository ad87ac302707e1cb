import { randomUUID } from 'node:crypto';
import {
  UNKNOWN_NODE,
  assignmentSubject,
  cancellationSubject,
  decodeJson,
  nodeReportSubject,
  parseAnnouncementReply,
  parseAssignment,
  parseCancellation,
  parseHeartbeatReply,
  parseNodeAck,
} from '@canopy/contracts';
import type {
  AnnouncementReply,
  Assignment,
  Cancellation,
  HeartbeatReply,
  NodeAck,
  NodeCapabilities,
  NodeReportKind,
  RunningTask,
  TaskResponse,
} from '@canopy/contracts';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';

/** How the node answers an assignment offer. */
export type OfferAnswer = 'accept' | 'reject' | 'ignore';

export interface ScriptedNodeOptions {
  readonly servers: string;
  readonly nodeId: string;
  readonly capabilities?: Partial<NodeCapabilities>;
  readonly slots?: number;
  readonly answer?: OfferAnswer;
  /** How many of the first cancellations to lose: kept in `lostCancellations`, not acted on. */
  readonly loseCancellations?: number;
  /**
   * Whether it subscribes to its assignment offers (true). False: a node that announces and
   * heartbeats but does not listen to its offers, as one whose connection is on its way back to NATS.
   */
  readonly listens?: boolean;
}

const defaultCapabilities: NodeCapabilities = {
  cpuCount: 2,
  memSize: 2048,
  networkLatency: 10,
  privileged: false,
};

export const okResponse: TaskResponse = {
  status: 200,
  contentType: 'text/plain',
  headers: { 'x-node': 'scripted' },
  body: Buffer.from('done').toString('base64'),
};

/**
 * A worker node written with a plain NATS client, as a third party would: it announces, heartbeats
 * (announcing again when told UNKNOWN_NODE), answers assignment offers as scripted, records the
 * assignments and cancellations it gets, and reports progress and results when the test says so.
 */
export class ScriptedNode {
  readonly nodeId: string;
  readonly capabilities: NodeCapabilities;
  readonly slots: number;
  answer: OfferAnswer;
  readonly assignments: Assignment[] = [];
  readonly cancellations: Cancellation[] = [];
  readonly lostCancellations: Cancellation[] = [];
  readonly announcements: AnnouncementReply[] = [];
  /** Accepted attempts not reported finished yet, by task id. */
  readonly running = new Map<string, number>();
  /** Assignments that arrived while every slot was taken: the scheduler overbooked the node. */
  overbooked = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private cancellationsToLose: number;

  private constructor(
    private readonly connection: NatsConnection,
    options: ScriptedNodeOptions,
  ) {
    this.nodeId = options.nodeId;
    this.capabilities = { ...defaultCapabilities, ...options.capabilities };
    this.slots = options.slots ?? 1;
    this.answer = options.answer ?? 'accept';
    this.cancellationsToLose = options.loseCancellations ?? 0;
  }

  /** From now on, acts on every cancellation (however many were still to be lost). */
  hearCancellations(): void {
    this.cancellationsToLose = 0;
  }

  /** Connects and subscribes; announces and starts heartbeating unless `announce` is false. */
  static async start(
    options: ScriptedNodeOptions,
    { announce = true }: { announce?: boolean } = {},
  ): Promise<ScriptedNode> {
    const connection = await connect({
      servers: options.servers,
      name: `scripted ${options.nodeId}`,
    });
    const node = new ScriptedNode(connection, options);
    if (options.listens !== false) node.listen();
    connection.subscribe(cancellationSubject(node.nodeId), {
      callback: (error, msg) => {
        if (error !== null) return;
        const cancellation = parseCancellation(decodeJson(msg.data, 'cancellation'));
        if (node.cancellationsToLose > 0) {
          node.cancellationsToLose -= 1;
          node.lostCancellations.push(cancellation);
          return;
        }
        node.cancellations.push(cancellation);
        if (node.running.get(cancellation.taskId) === cancellation.attempt)
          node.running.delete(cancellation.taskId);
      },
    });
    await connection.flush();
    if (announce) {
      const reply = await node.announce();
      if (!reply.ok) throw new Error(`announcement refused: ${reply.error.message}`);
      node.startHeartbeats(reply.heartbeatIntervalMs);
    }
    return node;
  }

  /** Subscribes to its assignment offers, answering them as scripted. */
  listen(): void {
    this.connection.subscribe(assignmentSubject(this.nodeId), {
      callback: (error, msg) => {
        if (error !== null) return;
        const assignment = parseAssignment(decodeJson(msg.data, 'assignment'));
        this.assignments.push(assignment);
        switch (this.answer) {
          case 'accept':
            if (this.running.size >= this.slots && !this.running.has(assignment.taskId))
              this.overbooked += 1;
            this.running.set(assignment.taskId, assignment.attempt);
            msg.respond(JSON.stringify({ accepted: true }));
            return;
          case 'reject':
            msg.respond(JSON.stringify({ accepted: false, reason: 'NO_FREE_SLOT' }));
            return;
          case 'ignore':
            return;
          default: {
            const unknown: never = this.answer;
            throw new Error(`unknown answer ${String(unknown)}`);
          }
        }
      },
    });
  }

  get runningTasks(): RunningTask[] {
    return [...this.running].map(([taskId, attempt]) => ({ taskId, attempt }));
  }

  async announce(): Promise<AnnouncementReply> {
    const reply = parseAnnouncementReply(
      await this.send('announce', {
        nodeId: this.nodeId,
        capabilities: this.capabilities,
        slots: this.slots,
        runningTasks: this.runningTasks,
        agent: 'scripted-node/1.0',
      }),
    );
    this.announcements.push(reply);
    return reply;
  }

  async heartbeat(): Promise<HeartbeatReply> {
    return parseHeartbeatReply(
      await this.send('heartbeat', {
        nodeId: this.nodeId,
        freeSlots: Math.max(0, this.slots - this.running.size),
        runningTasks: this.runningTasks,
        sentAt: new Date().toISOString(),
      }),
    );
  }

  startHeartbeats(intervalMs: number): void {
    this.stopHeartbeats();
    this.heartbeatTimer = setInterval(() => {
      void this.heartbeat()
        .then(async (reply) => {
          if (!reply.ok && reply.error.code === UNKNOWN_NODE) await this.announce();
        })
        .catch(() => undefined);
    }, intervalMs);
  }

  /** The node goes silent (it crashed, as far as the scheduler can tell). */
  stopHeartbeats(): void {
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  async progress(
    taskId: string,
    attempt: number,
    progress: number,
    reportId = randomUUID(),
  ): Promise<NodeAck> {
    return parseNodeAck(await this.send('progress', { reportId, taskId, attempt, progress }));
  }

  async result(
    taskId: string,
    attempt: number,
    response: TaskResponse = okResponse,
    reportId = randomUUID(),
  ): Promise<NodeAck> {
    // As a real node does: the run is over, its slot is free before the result is acknowledged.
    if (this.running.get(taskId) === attempt) this.running.delete(taskId);
    return parseNodeAck(await this.send('result', { reportId, taskId, attempt, response }));
  }

  async goodbye(): Promise<NodeAck> {
    this.stopHeartbeats();
    return parseNodeAck(await this.send('goodbye', { nodeId: this.nodeId }));
  }

  /** A request on one of the node's report subjects, body as given; the decoded JSON reply. */
  async send(kind: NodeReportKind, body: unknown): Promise<unknown> {
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const reply = await this.connection.request(nodeReportSubject(this.nodeId, kind), payload, {
      timeout: 10_000,
    });
    return decodeJson(reply.data, `${kind} reply`);
  }

  async close(): Promise<void> {
    this.stopHeartbeats();
    if (!this.connection.isClosed()) await this.connection.drain();
  }
}
