// What must hold after a fault, checked from what the clients saw, what the event store recorded
// and what the functions logged. Pure: the chaos run gathers the inputs, these judge them.

/** One event as the event store table holds it, in global order. */
export interface LoggedEvent {
  readonly position: bigint;
  readonly streamId: string;
  readonly type: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** When it was committed, ms since the epoch. */
  readonly recordedAt: number;
}

/** A task a client was answered 201 for. */
export interface AcknowledgedTask {
  readonly taskId: string;
  /** What the client sent (and the echo function returns). */
  readonly body: string;
  /** When the 201 arrived, ms since the epoch. */
  readonly acknowledgedAt: number;
  /** The result body the client read, when it read a 200. */
  readonly result: string | undefined;
}

/** One run of the function, as it logged itself: `CANOPY_TASK_ID CANOPY_ATTEMPT`. */
export interface Execution {
  readonly taskId: string;
  readonly attempt: number;
}

export interface Violations {
  /** Acknowledged, but the store has no TaskIssued for them. */
  readonly lost: readonly string[];
  /** Acknowledged and recorded, but neither finished nor failed. */
  readonly unfinished: readonly string[];
  /** Failed (TaskFailed), with the reason: the function never fails, so any is the platform's. */
  readonly failed: readonly { readonly taskId: string; readonly reason: string }[];
  /** Finished, but the result is not what the client sent. */
  readonly wrongResult: readonly string[];
  /** Ran more often than they were assigned. */
  readonly moreRunsThanAttempts: readonly string[];
  /** One attempt number that ran twice (`CANOPY_ATTEMPT` must name one run). */
  readonly attemptRanTwice: readonly string[];
  /** Nodes holding more attempts at once than their slots, with the most they held. */
  readonly overbooked: readonly OverbookedNode[];
  /** Assignments recorded with an epoch lower than one recorded before them (a deposed leader). */
  readonly staleEpochAssignments: readonly string[];
  /** Nodes declared lost that were alive all along. */
  readonly liveNodesLost: readonly string[];
}

export interface Judgement {
  readonly violations: Violations;
  /** How many violations in all. */
  readonly count: number;
  /** The most runs any task had, and the most attempts. */
  readonly maxRunsPerTask: number;
}

export interface JudgementInput {
  readonly acknowledged: readonly AcknowledgedTask[];
  /** Every event since the stack was quiet before the fault, in global order. */
  readonly events: readonly LoggedEvent[];
  readonly executions: readonly Execution[];
  readonly slotsByNode: ReadonlyMap<string, number>;
  /** Nodes the fault killed: their loss is right. */
  readonly killedNodes: ReadonlySet<string>;
}

export function judge(input: JudgementInput): Judgement {
  const byTask = new Map<string, LoggedEvent[]>();
  for (const event of input.events) {
    if (!event.streamId.startsWith('task-')) continue;
    const taskId = event.streamId.slice('task-'.length);
    const events = byTask.get(taskId) ?? [];
    events.push(event);
    byTask.set(taskId, events);
  }
  const lost: string[] = [];
  const unfinished: string[] = [];
  const failed: { taskId: string; reason: string }[] = [];
  const wrongResult: string[] = [];
  for (const task of input.acknowledged) {
    const events = byTask.get(task.taskId) ?? [];
    if (!events.some((event) => event.type === 'TaskIssued')) {
      lost.push(task.taskId);
      continue;
    }
    const outcome = events.find(
      (event) => event.type === 'TaskFinished' || event.type === 'TaskFailed',
    );
    if (outcome === undefined) unfinished.push(task.taskId);
    else if (outcome.type === 'TaskFailed') {
      failed.push({ taskId: task.taskId, reason: String(outcome.data['reason']) });
    } else if (task.result !== task.body) wrongResult.push(task.taskId);
  }

  const assignedAttempts = new Map<string, number>();
  for (const [taskId, events] of byTask) {
    assignedAttempts.set(taskId, events.filter((event) => event.type === 'TaskAssigned').length);
  }
  const runs = new Map<string, number>();
  const runsOfAttempt = new Map<string, number>();
  for (const { taskId, attempt } of input.executions) {
    runs.set(taskId, (runs.get(taskId) ?? 0) + 1);
    const key = `${taskId} attempt ${attempt}`;
    runsOfAttempt.set(key, (runsOfAttempt.get(key) ?? 0) + 1);
  }
  const moreRunsThanAttempts = [...runs]
    .filter(([taskId, count]) => count > (assignedAttempts.get(taskId) ?? 0))
    .map(([taskId]) => taskId);
  const attemptRanTwice = [...runsOfAttempt].filter(([, count]) => count > 1).map(([key]) => key);

  const violations: Violations = {
    lost,
    unfinished,
    failed,
    wrongResult,
    moreRunsThanAttempts,
    attemptRanTwice,
    overbooked: overbookedNodes(input.events, input.slotsByNode),
    staleEpochAssignments: staleEpochAssignments(input.events),
    liveNodesLost: input.events
      .filter((event) => event.type === 'NodeLost')
      .map((event) => String(event.data['nodeId']))
      .filter((nodeId) => !input.killedNodes.has(nodeId)),
  };
  const count = Object.values(violations).reduce((sum, list) => sum + list.length, 0);
  return { violations, count, maxRunsPerTask: Math.max(0, ...runs.values()) };
}

/** A node that held more attempts at once than its slots. */
export interface OverbookedNode {
  readonly nodeId: string;
  /** The most attempts it held at once. */
  readonly held: number;
  /**
   * The attempts held at that moment, each `taskId:attempt` and how the log ended it (`TaskFinished`,
   * `TaskUnassigned REJECTED`, ...; `open` when it did not): a refused offer, say, was a decision on
   * a stale state that the node itself turned down.
   */
  readonly attempts: readonly string[];
}

/**
 * The attempts each node held at once, by folding assignments and their ends in the order they
 * were recorded; the nodes that held more than their slots.
 */
export function overbookedNodes(
  events: readonly LoggedEvent[],
  slotsByNode: ReadonlyMap<string, number>,
): OverbookedNode[] {
  const holding = new Map<string, Set<string>>();
  const heldBy = new Map<string, { nodeId: string; key: string }>();
  const peaks = new Map<string, string[]>();
  const endOf = new Map<string, string>();
  const release = (taskId: string, end: string) => {
    const current = heldBy.get(taskId);
    if (current === undefined) return;
    holding.get(current.nodeId)?.delete(current.key);
    heldBy.delete(taskId);
    endOf.set(current.key, end);
  };
  for (const event of events) {
    const taskId = String(event.data['taskId']);
    switch (event.type) {
      case 'TaskAssigned': {
        release(taskId, 'TaskAssigned again');
        const nodeId = String(event.data['nodeId']);
        const key = `${taskId}:${String(event.data['attempt'])}`;
        const held = holding.get(nodeId) ?? new Set<string>();
        held.add(key);
        holding.set(nodeId, held);
        heldBy.set(taskId, { nodeId, key });
        if (held.size > (peaks.get(nodeId)?.length ?? 0)) peaks.set(nodeId, [...held]);
        break;
      }
      case 'TaskUnassigned':
        release(taskId, `TaskUnassigned ${String(event.data['reason'])}`);
        break;
      case 'TaskFinished':
      case 'TaskFailed':
        release(taskId, event.type);
        break;
      default:
        break;
    }
  }
  return [...peaks]
    .filter(([nodeId, peak]) => peak.length > (slotsByNode.get(nodeId) ?? Number.POSITIVE_INFINITY))
    .map(([nodeId, peak]) => ({
      nodeId,
      held: peak.length,
      attempts: peak.map((key) => `${key} ${endOf.get(key) ?? 'open'}`),
    }));
}

/** Assignments whose epoch is lower than that of an assignment recorded before them. */
export function staleEpochAssignments(events: readonly LoggedEvent[]): string[] {
  let highest = 0;
  const stale: string[] = [];
  for (const event of events) {
    if (event.type !== 'TaskAssigned') continue;
    const epoch = Number(event.metadata['epoch'] ?? 0);
    if (epoch < highest) {
      stale.push(
        `${String(event.data['taskId'])} attempt ${String(event.data['attempt'])} (epoch ${epoch} at ${event.position} after ${highest})`,
      );
    }
    highest = Math.max(highest, epoch);
  }
  return stale;
}

/**
 * When dispatching was back to normal after a fault: the time the last task that waited longer
 * than `slowMs` for its first assignment got it (ms since the epoch), or undefined when none waited
 * that long.
 */
export function dispatchBackAt(events: readonly LoggedEvent[], slowMs: number): number | undefined {
  const issuedAt = new Map<string, number>();
  let last: number | undefined;
  for (const event of events) {
    if (!event.streamId.startsWith('task-')) continue;
    if (event.type === 'TaskIssued') issuedAt.set(event.streamId, event.recordedAt);
    if (event.type !== 'TaskAssigned') continue;
    const issued = issuedAt.get(event.streamId);
    if (issued === undefined) continue;
    issuedAt.delete(event.streamId);
    if (event.recordedAt - issued > slowMs) last = Math.max(last ?? 0, event.recordedAt);
  }
  return last;
}

/** Parses the function's log, one `taskId attempt` per line; other lines are ignored. */
export function parseExecutionLog(text: string): Execution[] {
  const executions: Execution[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\S+) (\d+)$/.exec(line.trim());
    if (match === null) continue;
    executions.push({ taskId: match[1] as string, attempt: Number(match[2]) });
  }
  return executions;
}

/** A one-line summary of the violations, or `none`. */
export function describeViolations(violations: Violations): string {
  const parts: string[] = [];
  const add = (label: string, items: readonly unknown[]) => {
    if (items.length > 0) parts.push(`${label} ${items.length}`);
  };
  add('lost', violations.lost);
  add('unfinished', violations.unfinished);
  if (violations.failed.length > 0) {
    const reasons = new Map<string, number>();
    for (const { reason } of violations.failed) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    parts.push(`failed ${[...reasons].map(([reason, count]) => `${count} ${reason}`).join(', ')}`);
  }
  add('wrong result', violations.wrongResult);
  add('runs > attempts', violations.moreRunsThanAttempts);
  add('attempt ran twice', violations.attemptRanTwice);
  add('overbooked nodes', violations.overbooked);
  add('stale-epoch assignments', violations.staleEpochAssignments);
  add('live nodes lost', violations.liveNodesLost);
  return parts.length === 0 ? 'none' : parts.join('; ');
}
