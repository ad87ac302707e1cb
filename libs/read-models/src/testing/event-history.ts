import { randomBytes, randomUUID } from 'node:crypto';
import {
  accountEvent,
  accountStreamId,
  functionEvent,
  functionStreamId,
  nodeEvent,
  nodeStreamId,
  taskCommand,
  taskStreamId,
  type AccountEvent,
  type FunctionEvent,
  type NodeEvent,
  type TaskCommand,
  type TaskEvent,
  type TaskFailureReason,
} from '@canopy/contracts';
import { scheduleEvent, scheduleStreamId, type ScheduleEvent } from '@canopy/contracts';
import { modestCapabilities } from '@canopy/contracts/testing';
import type { EventStore } from '@canopy/event-store';
import { decidedTaskEvents } from './read-model-fold.js';

// A realistic history of the platform for projector tests: accounts with keys issued and revoked,
// functions, nodes that come, go and are lost, and tasks that finish, fail, are unassigned and
// reassigned, are retried after failed attempts, delayed or prioritised. Appends to different streams interleave, as they do in production.

type ContractEvent = TaskEvent | AccountEvent | FunctionEvent | NodeEvent | ScheduleEvent;

/** One append: events to one stream, as one command's outcome. */
export interface HistoryAppend {
  readonly streamId: string;
  readonly events: readonly ContractEvent[];
}

export interface EventHistory {
  readonly appends: readonly HistoryAppend[];
  readonly streamIds: readonly string[];
  readonly taskIds: readonly string[];
  readonly eventCount: number;
}

/** A time on 2026-11-30, `seconds` after 09:00 UTC. */
export function historyTime(seconds: number): string {
  return new Date(Date.UTC(2026, 10, 30, 9, 0, 0) + seconds * 1000).toISOString();
}

/** Ids of 24 hex characters that no other run of the test shares (NATS subjects are global). */
export function objectIdFactory(): () => string {
  const prefix = randomBytes(6).toString('hex');
  let next = 0;
  return () => {
    next += 1;
    return `${prefix}${next.toString(16).padStart(12, '0')}`;
  };
}

export interface HistoryOptions {
  readonly tasks?: number;
  readonly newId?: () => string;
  /** Seconds added to every time, so that later histories come after earlier ones. */
  readonly startSeconds?: number;
}

export function realisticHistory(options: HistoryOptions = {}): EventHistory {
  const newId = options.newId ?? objectIdFactory();
  const start = options.startSeconds ?? 0;
  const at = (seconds: number) => historyTime(start + seconds);
  const streams = new Map<string, ContractEvent[][]>();
  const add = (streamId: string, ...events: ContractEvent[]) => {
    if (events.length === 0) return;
    streams.set(streamId, [...(streams.get(streamId) ?? []), events]);
  };

  const accounts = [newId(), newId()];
  for (const [index, accountId] of accounts.entries()) {
    const stream = accountStreamId(accountId);
    add(
      stream,
      accountEvent('AccountCreated', { accountId, name: `Account ${index}`, createdAt: at(index) }),
    );
    const keys = [randomBytes(6).toString('hex'), randomBytes(6).toString('hex')];
    for (const [keyIndex, keyId] of keys.entries()) {
      add(
        stream,
        accountEvent('ApiKeyIssued', {
          accountId,
          keyId,
          keyHash: randomBytes(32).toString('hex'),
          label: keyIndex === 0 ? 'ci' : null,
          issuedAt: at(2 + keyIndex),
        }),
      );
    }
    add(
      stream,
      accountEvent('ApiKeyRevoked', { accountId, keyId: keys[0] ?? '', revokedAt: at(5) }),
    );
  }

  const functions = accounts.flatMap((accountId, index) =>
    [0, 1].map((fnIndex) => ({
      accountId,
      functionId: newId(),
      privileged: fnIndex === 1,
      index,
      // Changed before any task is issued: their tasks run version 2.
      changed: (index + fnIndex) % 2 === 0,
    })),
  );
  for (const fn of functions) {
    add(
      functionStreamId(fn.functionId),
      functionEvent('FunctionRegistered', {
        functionId: fn.functionId,
        accountId: fn.accountId,
        name: `fn-${fn.index}-${fn.privileged ? 'root' : 'user'}`,
        description: fn.privileged ? '' : 'Echoes its input',
        lang: 'javascript',
        type: 'http',
        capabilities: {
          ...modestCapabilities,
          networkLatency: fn.privileged ? 50 : 0,
          privileged: fn.privileged,
        },
        runtime: fn.privileged
          ? { kind: 'process', command: 'node', args: ['echo.js'], env: { MODE: 'x' } }
          : { kind: 'http', url: 'http://127.0.0.1:9/echo', method: 'POST' },
        registeredAt: at(6),
      }),
    );
  }

  // Functions change (a new version each) and one is deleted after its tasks were issued.
  for (const fn of functions.filter((candidate) => candidate.changed)) {
    add(
      functionStreamId(fn.functionId),
      functionEvent('FunctionChanged', {
        functionId: fn.functionId,
        accountId: fn.accountId,
        version: 2,
        description: 'Echoes its input, faster',
        capabilities: {
          timeout: 10,
          cpuCount: 2,
          memSize: 512,
          networkLatency: 0,
          privileged: fn.privileged,
        },
        runtime: { kind: 'persistent', command: 'node', args: ['echo-server.js'] },
        changedAt: at(8),
      }),
    );
  }
  const deletedFunction = functions.find((fn) => fn.changed && fn.privileged);
  if (deletedFunction !== undefined) {
    const stream = functionStreamId(deletedFunction.functionId);
    const { functionId, accountId } = deletedFunction;
    add(
      stream,
      functionEvent('FunctionChanged', {
        functionId,
        accountId,
        version: 3,
        description: 'the last version',
        capabilities: {
          timeout: 60,
          cpuCount: 1,
          memSize: 128,
          networkLatency: 20,
          privileged: true,
        },
        runtime: { kind: 'http', url: 'http://127.0.0.1:9/v3', method: 'PUT' },
        // Version 2 was recorded as changes were before they could set these: it kept them.
        retry: {
          maxAttempts: 2,
          backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 30 },
          on: ['5xx'],
        },
        priority: 7,
        changedAt: at(95),
      }),
    );
    add(
      stream,
      functionEvent('FunctionDeleted', { functionId, accountId, version: 3, deletedAt: at(96) }),
    );
  }

  const nodes = ['n1', 'n2', 'n3'].map((name) => `${name}-${randomBytes(3).toString('hex')}`);
  for (const [index, nodeId] of nodes.entries()) {
    add(
      nodeStreamId(nodeId),
      nodeEvent('NodeAnnounced', {
        nodeId,
        capabilities: {
          cpuCount: 2 + index,
          memSize: 2048,
          networkLatency: 10,
          privileged: index === 2,
        },
        slots: 2,
        agent: 'canopy-node-agent/0.1.0',
        at: at(7),
      }),
    );
  }
  const [n1 = '', n2 = '', n3 = ''] = nodes;

  const taskIds: string[] = [];
  const taskCount = options.tasks ?? 24;
  for (let index = 0; index < taskCount; index += 1) {
    const taskId = newId();
    taskIds.push(taskId);
    const fn = functions[index % functions.length] ?? functions[0];
    if (fn === undefined) throw new Error('no function');
    const base = 10 + index;
    const commands = taskScript(index, {
      taskId,
      accountId: fn.accountId,
      functionId: fn.functionId,
      functionVersion: fn.changed ? 2 : 1,
      at: (seconds) => at(base + seconds),
      nodes: [n1, n2, n3],
    });
    // Each command's outcome is one append, as the scheduler writes it.
    let decidedSoFar = 0;
    for (let count = 1; count <= commands.length; count += 1) {
      const events = decidedTaskEvents(commands.slice(0, count));
      add(taskStreamId(taskId), ...events.slice(decidedSoFar));
      decidedSoFar = events.length;
    }
  }

  add(nodeStreamId(n1), nodeEvent('NodeLost', { nodeId: n1, lastSeenAt: at(60), at: at(75) }));
  add(nodeStreamId(n2), nodeEvent('NodeLeft', { nodeId: n2, at: at(80) }));
  add(
    nodeStreamId(n3),
    nodeEvent('NodeAnnounced', {
      nodeId: n3,
      capabilities: { cpuCount: 8, memSize: 4096, networkLatency: 5, privileged: true },
      slots: 4,
      agent: 'canopy-node-agent/0.2.0',
      at: at(85),
    }),
  );

  // Nodes registered by an account: one that works, is disabled (with an announcement recorded in a
  // race after it), enabled, described and comes back; one registered that never announces.
  const [owner = ''] = accounts;
  const registeredNodes = [newId(), newId()];
  const [r1 = '', r2 = ''] = registeredNodes;
  for (const [index, nodeId] of registeredNodes.entries()) {
    add(
      nodeStreamId(nodeId),
      nodeEvent('NodeRegistered', {
        nodeId,
        accountId: owner,
        hash: `rack-${index}`,
        description: index === 0 ? 'GPU box' : '',
        userPublicKey: `U${'ABCDEFGHIJ'[index]?.repeat(55) ?? ''}`,
        at: at(8 + index),
      }),
    );
  }
  const r1Announced = (seconds: number) =>
    nodeEvent('NodeAnnounced', {
      nodeId: r1,
      capabilities: { cpuCount: 16, memSize: 65536, networkLatency: 2, privileged: false },
      slots: 3,
      agent: 'third-party-node/2.0',
      at: at(seconds),
    });
  add(nodeStreamId(r1), r1Announced(20));
  add(nodeStreamId(r1), nodeEvent('NodeDisabled', { nodeId: r1, accountId: owner, at: at(40) }));
  add(nodeStreamId(r1), r1Announced(41));
  add(nodeStreamId(r1), nodeEvent('NodeEnabled', { nodeId: r1, accountId: owner, at: at(50) }));
  add(
    nodeStreamId(r1),
    nodeEvent('NodeDescribed', {
      nodeId: r1,
      accountId: owner,
      description: 'GPU box, rack 0',
      at: at(55),
    }),
  );
  add(nodeStreamId(r1), r1Announced(60));
  add(nodeStreamId(r2), nodeEvent('NodeDisabled', { nodeId: r2, accountId: owner, at: at(70) }));

  // Schedules: one ticking, paused, changed and resumed; one ticking and then deleted.
  const [fnOfSchedules] = functions;
  if (fnOfSchedules === undefined) throw new Error('no function');
  const schedules = [newId(), newId()];
  for (const [index, scheduleId] of schedules.entries()) {
    const stream = scheduleStreamId(scheduleId);
    add(
      stream,
      scheduleEvent('ScheduleCreated', {
        scheduleId,
        accountId: fnOfSchedules.accountId,
        functionId: fnOfSchedules.functionId,
        name: `schedule ${index}`,
        description: index === 0 ? 'every ten seconds' : '',
        cron: '*/10 * * * * *',
        timeZone: index === 0 ? 'Europe/Berlin' : 'UTC',
        request: {
          query: `s=${index}`,
          contentType: index === 0 ? 'application/json' : null,
          body: Buffer.from(index === 0 ? '{"s":0}' : '').toString('base64'),
        },
        startAt: index === 0 ? null : at(0),
        endAt: index === 0 ? null : at(3600),
        createdAt: at(5),
      }),
    );
    const tick = (seconds: number) =>
      scheduleEvent('ScheduleTicked', {
        scheduleId,
        tick: at(seconds),
        taskId: newId(),
        firedAt: at(seconds),
      });
    add(stream, tick(10));
    add(stream, tick(20));
  }
  const [s1 = '', s2 = ''] = schedules;
  add(scheduleStreamId(s1), scheduleEvent('SchedulePaused', { scheduleId: s1, pausedAt: at(25) }));
  add(
    scheduleStreamId(s1),
    scheduleEvent('ScheduleChanged', {
      scheduleId: s1,
      name: 'schedule 0, slower',
      description: 'every minute',
      cron: '0 * * * * *',
      timeZone: 'Europe/Berlin',
      request: {
        query: 's=0&slow=1',
        contentType: 'text/plain',
        body: Buffer.from('x').toString('base64'),
      },
      startAt: null,
      endAt: at(7200),
      changedAt: at(26),
    }),
  );
  add(
    scheduleStreamId(s1),
    scheduleEvent('ScheduleResumed', { scheduleId: s1, resumedAt: at(27) }),
  );
  add(
    scheduleStreamId(s2),
    scheduleEvent('ScheduleDeleted', { scheduleId: s2, deletedAt: at(30) }),
  );

  return interleave(streams, taskIds);
}

interface TaskScriptContext {
  readonly taskId: string;
  readonly accountId: string;
  readonly functionId: string;
  readonly functionVersion: number;
  readonly at: (seconds: number) => string;
  readonly nodes: readonly [string, string, string];
}

function taskScript(index: number, context: TaskScriptContext): TaskCommand[] {
  const { taskId, at } = context;
  const [n1, n2, n3] = context.nodes;
  const retried = index % 12 >= 10;
  const issue = taskCommand('IssueTask', {
    taskId,
    accountId: context.accountId,
    functionId: context.functionId,
    functionVersion: context.functionVersion,
    scheduleId: null,
    request: {
      query: `i=${index}&x=y`,
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify({ index })).toString('base64'),
    },
    requirements: { cpuCount: 1, memSize: 256, networkLatency: 0, privileged: false },
    timeout: 30,
    maxAttempts: 2,
    pendingDeadline: 60,
    issuedAt: at(0),
    ...(index % 4 === 1 ? { priority: index % 10 } : {}),
    ...(index % 5 === 2 ? { notBefore: at(1) } : {}),
    ...(retried
      ? {
          retry: {
            maxAttempts: 3,
            backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 10 },
            on: ['5xx' as const, 429],
          },
        }
      : {}),
  });
  const assign = (nodeId: string, attempt: number, seconds: number) =>
    taskCommand('AssignTask', { taskId, nodeId, attempt, now: at(seconds) });
  const unassign = (nodeId: string, attempt: number, seconds: number) =>
    taskCommand('UnassignTask', { taskId, nodeId, attempt, reason: 'NODE_LOST', now: at(seconds) });
  const progress = (nodeId: string, attempt: number, value: number, seconds: number) =>
    taskCommand('RecordProgress', { taskId, nodeId, attempt, progress: value, now: at(seconds) });
  const finish = (nodeId: string, attempt: number, seconds: number, status: number) =>
    taskCommand('FinishTask', {
      taskId,
      nodeId,
      attempt,
      response: {
        status,
        contentType: status === 204 ? null : 'application/json',
        headers: { 'content-type': 'application/json', 'x-task': String(index) },
        body:
          status === 204
            ? ''
            : Buffer.from(`{"task":${index},"bytes":"\u00e9\u0000"}`).toString('base64'),
      },
      now: at(seconds),
    });
  const fail = (reason: TaskFailureReason, seconds: number) =>
    taskCommand('FailTask', { taskId, reason, message: `gave up: ${reason}`, now: at(seconds) });

  switch (index % 12) {
    case 0:
      return [
        issue,
        assign(n1, 1, 1),
        progress(n1, 1, 30, 2),
        progress(n1, 1, 80, 3),
        finish(n1, 1, 4, 200),
      ];
    case 1:
      return [issue, assign(n2, 1, 2), finish(n2, 1, 5, 500)];
    case 2:
      return [
        issue,
        assign(n1, 1, 1),
        progress(n1, 1, 40, 2),
        unassign(n1, 1, 4),
        assign(n3, 2, 6),
        progress(n3, 2, 90, 7),
        finish(n3, 2, 9, 201),
      ];
    case 3:
      return [issue, assign(n1, 1, 1), unassign(n1, 1, 3), assign(n2, 2, 5), unassign(n2, 2, 8)];
    case 4:
      return [issue, fail('NO_RUNNER', 60)];
    case 5:
      return [issue, assign(n3, 1, 1), progress(n3, 1, 10, 2), fail('TIMEOUT', 31)];
    case 6:
      return [issue, assign(n2, 1, 1), fail('CANCELLED', 2)];
    case 7:
      return [issue, assign(n1, 1, 3), progress(n1, 1, 50, 4)];
    case 8:
      return [issue, assign(n2, 1, 1), unassign(n2, 1, 2)];
    case 10:
      // Fails twice, then answers: three attempts, the last one's answer is the result.
      return [
        issue,
        assign(n1, 1, 1),
        finish(n1, 1, 2, 503),
        assign(n2, 2, 4),
        progress(n2, 2, 20, 5),
        finish(n2, 2, 6, 429),
        assign(n3, 3, 11),
        finish(n3, 3, 12, 200),
      ];
    case 11:
      // Fails once, loses its node, then waits after the loss.
      return [issue, assign(n1, 1, 1), finish(n1, 1, 2, 500), assign(n3, 2, 4), unassign(n3, 2, 6)];
    default:
      return [issue, assign(n2, 1, 1), finish(n2, 1, 3, 204)];
  }
}

function interleave(streams: Map<string, ContractEvent[][]>, taskIds: string[]): EventHistory {
  const queues = [...streams.entries()].map(([streamId, appends]) => ({
    streamId,
    appends: [...appends],
  }));
  const appends: HistoryAppend[] = [];
  while (queues.some((queue) => queue.appends.length > 0)) {
    for (const queue of queues) {
      const events = queue.appends.shift();
      if (events !== undefined) appends.push({ streamId: queue.streamId, events });
    }
  }
  return {
    appends,
    streamIds: [...streams.keys()],
    taskIds,
    eventCount: appends.reduce((count, append) => count + append.events.length, 0),
  };
}

/** Appends a history in its order, each append at the stream's exact expected version. */
export async function appendHistory(
  store: EventStore,
  history: Pick<EventHistory, 'appends'>,
): Promise<void> {
  const versions = new Map<string, number>();
  for (const append of history.appends) {
    const version =
      versions.get(append.streamId) ?? (await store.readStream(append.streamId)).length;
    const { nextExpectedVersion } = await store.appendToStream(
      append.streamId,
      append.events.map((event) => ({
        id: randomUUID(),
        type: event.type,
        data: event.data,
        metadata: event.metadata,
      })),
      { expectedVersion: version === 0 ? 'no_stream' : version },
    );
    versions.set(append.streamId, nextExpectedVersion);
  }
}
