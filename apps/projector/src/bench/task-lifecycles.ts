import { randomBytes, randomUUID } from 'node:crypto';
import {
  functionEvent,
  functionStreamId,
  nodeEvent,
  nodeStreamId,
  taskEvent,
  taskStreamId,
  type FunctionEvent,
  type NodeEvent,
  type TaskEvent,
} from '@canopy/contracts';
import { modestCapabilities } from '@canopy/contracts/testing';
import type { EventStore } from '@canopy/event-store';

// The projector benchmark's workload: task lifecycles of four events (TaskIssued, TaskAssigned,
// TaskProgressed, TaskFinished) on a small fleet, appended in rounds as the scheduler would write
// them: each round issues a wave of tasks and moves the three previous waves one step on. A batch
// of the subscription then holds the first events of some tasks and the last of others, as live.

/** Tasks, nodes and functions of one run; ids are fresh for every plan. */
export interface LifecyclePlan {
  readonly tasks: number;
  /** Tasks issued per round. */
  readonly wave: number;
  readonly accountId: string;
  readonly functionIds: readonly string[];
  readonly nodeIds: readonly string[];
  /** Prefix of the task ids (12 hex characters), so that two plans never share a task. */
  readonly taskIdPrefix: string;
  /** Milliseconds since the epoch of the first task's issue. */
  readonly startMs: number;
}

/** One append: one event at its version of its stream. */
export interface LifecycleAppend {
  readonly streamId: string;
  readonly version: number;
  readonly event: TaskEvent | NodeEvent | FunctionEvent;
}

export const EVENTS_PER_TASK = 4;

export function objectId(prefix: string, index: number): string {
  return `${prefix}${index.toString(16).padStart(24 - prefix.length, '0')}`;
}

export function lifecyclePlan(options: {
  readonly tasks: number;
  readonly wave: number;
  readonly nodes?: number;
  readonly functions?: number;
  readonly startMs?: number;
}): LifecyclePlan {
  const prefix = () => randomBytes(6).toString('hex');
  const functionPrefix = prefix();
  return {
    tasks: options.tasks,
    wave: options.wave,
    accountId: objectId(prefix(), 1),
    functionIds: Array.from({ length: options.functions ?? 20 }, (_, index) =>
      objectId(functionPrefix, index + 1),
    ),
    nodeIds: Array.from(
      { length: options.nodes ?? 20 },
      (_, index) => `bench-node-${index + 1}-${randomBytes(3).toString('hex')}`,
    ),
    taskIdPrefix: prefix(),
    startMs: options.startMs ?? Date.UTC(2026, 11, 1, 9, 0, 0),
  };
}

/** The functions and nodes the tasks run on: append them before the tasks. */
export function fleetAppends(plan: LifecyclePlan): LifecycleAppend[] {
  const at = new Date(plan.startMs - 60_000).toISOString();
  const functions = plan.functionIds.map((functionId, index) => ({
    streamId: functionStreamId(functionId),
    version: 1,
    event: functionEvent('FunctionRegistered', {
      functionId,
      accountId: plan.accountId,
      name: `bench-fn-${index + 1}`,
      description: 'Benchmark function',
      lang: 'javascript',
      type: 'http',
      capabilities: modestCapabilities,
      runtime: { kind: 'http', url: 'http://127.0.0.1:9/echo', method: 'POST' },
      registeredAt: at,
    }),
  }));
  const nodes = plan.nodeIds.map((nodeId) => ({
    streamId: nodeStreamId(nodeId),
    version: 1,
    event: nodeEvent('NodeAnnounced', {
      nodeId,
      capabilities: { cpuCount: 8, memSize: 16_384, networkLatency: 5, privileged: false },
      slots: 64,
      agent: 'canopy-node-agent/0.1.0',
      at,
    }),
  }));
  return [...functions, ...nodes];
}

export function roundCount(plan: LifecyclePlan): number {
  return Math.ceil(plan.tasks / plan.wave) + EVENTS_PER_TASK - 1;
}

/** Round `round`'s appends: step s of the tasks issued s rounds earlier. */
export function roundAppends(plan: LifecyclePlan, round: number): LifecycleAppend[] {
  const appends: LifecycleAppend[] = [];
  for (let step = 0; step < EVENTS_PER_TASK; step += 1) {
    const wave = round - step;
    if (wave < 0) continue;
    const first = wave * plan.wave;
    const last = Math.min(first + plan.wave, plan.tasks);
    for (let index = first; index < last; index += 1)
      appends.push(lifecycleStep(plan, index, step));
  }
  return appends;
}

// A response of about 300 bytes: what a small JSON API answers.
const responseBody = Buffer.from(
  JSON.stringify({
    ok: true,
    items: Array.from({ length: 8 }, (_, i) => ({ id: i, v: 'x'.repeat(16) })),
  }),
).toString('base64');

function lifecycleStep(plan: LifecyclePlan, index: number, step: number): LifecycleAppend {
  const taskId = objectId(plan.taskIdPrefix, index + 1);
  const issuedMs = plan.startMs + index * 3;
  const at = (offsetMs: number) => new Date(issuedMs + offsetMs).toISOString();
  const nodeId = plan.nodeIds[index % plan.nodeIds.length] ?? '';
  const streamId = taskStreamId(taskId);
  const version = step + 1;
  switch (step) {
    case 0:
      return {
        streamId,
        version,
        event: taskEvent('TaskIssued', {
          taskId,
          accountId: plan.accountId,
          functionId: plan.functionIds[index % plan.functionIds.length] ?? '',
          functionVersion: 1,
          scheduleId: null,
          request: {
            query: `size=${index % 512}&format=webp`,
            contentType: 'application/json',
            body: Buffer.from(JSON.stringify({ index })).toString('base64'),
          },
          requirements: { cpuCount: 1, memSize: 256, networkLatency: 0, privileged: false },
          timeout: 30,
          maxAttempts: 3,
          pendingDeadline: 60,
          issuedAt: at(0),
        }),
      };
    case 1:
      return {
        streamId,
        version,
        event: taskEvent('TaskAssigned', { taskId, nodeId, attempt: 1, assignedAt: at(20) }),
      };
    case 2:
      return {
        streamId,
        version,
        event: taskEvent('TaskProgressed', {
          taskId,
          nodeId,
          attempt: 1,
          progress: 50,
          at: at(120),
        }),
      };
    default:
      return {
        streamId,
        version,
        event: taskEvent('TaskFinished', {
          taskId,
          nodeId,
          attempt: 1,
          response: {
            status: 200,
            contentType: 'application/json',
            headers: { 'content-type': 'application/json', 'x-request-id': randomUUID() },
            body: responseBody,
          },
          finishedAt: at(250),
        }),
      };
  }
}

/** Appends every event of `appends` (each to a different stream) concurrently: group commit. */
export async function appendAll(
  store: EventStore,
  appends: readonly LifecycleAppend[],
): Promise<void> {
  await Promise.all(
    appends.map(({ streamId, version, event }) =>
      // The benchmark seeds the store with decided events directly, as the tests' fixtures do.
      // eslint-disable-next-line no-restricted-properties
      store.appendToStream(
        streamId,
        [{ id: randomUUID(), type: event.type, data: event.data, metadata: event.metadata }],
        { expectedVersion: version === 1 ? 'no_stream' : version - 1 },
      ),
    ),
  );
}
