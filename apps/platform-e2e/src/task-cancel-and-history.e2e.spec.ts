import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@canopy/async-testing';
import { stackForFile } from './testing/stack-for-file.js';
import { readTaskEventStream } from './testing/task-event-source.js';
import type { TaskHistoryEntry } from './testing/task-event-source.js';

// Cancelling tasks and following their history, with real processes: a running `sleep 30` is
// stopped on its node (the process is gone), a waiting task leaves the queue, a repeated cancel
// answers the same, a finished task stays finished (409); the SSE history delivers a function's
// progress up to 100 and ends at the terminal event, also across a dropped connection.

const e2e = stackForFile({ label: 'cancel' });

let token = '';
let pidDir = '';

beforeAll(async () => {
  const { stack } = e2e;
  ({ token } = await stack.signUp('cancel'));
  await stack.startNode({ slots: 2 });
  pidDir = await mkdtemp(path.join(tmpdir(), 'canopy-cancel-'));
}, 120_000);

afterAll(async () => {
  await rm(pidDir, { recursive: true, force: true });
});

/** A function that writes its process id to `pidFile`, then runs `script` in that process. */
function pidWritingRuntime(pidFile: string, script: string) {
  return {
    kind: 'process' as const,
    command: '/bin/sh',
    args: ['-c', `echo $$ > "$1"; ${script}`, 'function', pidFile],
  };
}

async function pidOf(pidFile: string): Promise<number> {
  return eventually(async () => {
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    expect(Number.isInteger(pid) && pid > 0).toBe(true);
    return pid;
  }, 60_000);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function issue(stack: typeof e2e.stack, functionId: string): Promise<string> {
  const issued = await stack.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
    method: 'POST',
    token,
  });
  expect(issued.status).toBe(201);
  return issued.body.id;
}

/** A task of a new `cat` function named `name`, once it has finished (its result is there). */
async function finishedEchoTask(stack: typeof e2e.stack, name: string): Promise<string> {
  const functionId = await stack.registerFunction(token, {
    name,
    runtime: { kind: 'process', command: 'cat' },
  });
  const taskId = await issue(stack, functionId);
  await eventually(async () => {
    const result = await stack.request(`/v1/task/${taskId}/result?wait=20`, { token });
    expect(result.status).toBe(200);
  }, 60_000);
  return taskId;
}

async function history(stack: typeof e2e.stack, taskId: string): Promise<TaskHistoryEntry[]> {
  const answer = await stack.requestJson<TaskHistoryEntry[]>(
    `/v1/task/${taskId}/events?limit=1000`,
    { token },
  );
  expect(answer.status).toBe(200);
  return answer.body;
}

e2e.test(
  'cancelling a running `sleep 30` stops its process, and the task ends 499',
  async (stack) => {
    const pidFile = path.join(pidDir, 'sleep.pid');
    const functionId = await stack.registerFunction(token, {
      name: 'sleeps',
      timeout: 120,
      runtime: pidWritingRuntime(pidFile, 'exec sleep 30'),
    });
    const taskId = await issue(stack, functionId);
    const pid = await pidOf(pidFile);
    expect(isRunning(pid)).toBe(true);

    const cancelled = await stack.requestJson<Record<string, unknown>>(`/v1/task/${taskId}`, {
      method: 'DELETE',
      token,
    });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({
      id: taskId,
      status: 499,
      cancelled: expect.stringMatching(/^[0-9]{10}$/),
    });

    // SIGTERM ends `sleep` at once; the node's grace before SIGKILL is 5 s, far inside this deadline.
    await eventually(() => expect(isRunning(pid)).toBe(false), 30_000);
    const result = await stack.requestJson<Record<string, unknown>>(`/v1/task/${taskId}/result`, {
      token,
    });
    expect(result.status).toBe(499);
    expect(result.body).toEqual({ error: 'CANCELLED', message: expect.any(String) });
    const types = (await history(stack, taskId)).map((entry) => entry.type);
    expect(types).toEqual(['TaskIssued', 'TaskAssigned', 'TaskFailed']);
    await eventually(async () => {
      const task = await stack.requestJson<Record<string, unknown>>(`/v1/task/${taskId}`, {
        token,
      });
      expect(task.body).toMatchObject({ status: 499 });
    }, 30_000);
  },
);

e2e.test('a function that ignores SIGTERM is killed after the grace', async (stack) => {
  const pidFile = path.join(pidDir, 'stubborn.pid');
  const functionId = await stack.registerFunction(token, {
    name: 'stubborn',
    timeout: 120,
    runtime: pidWritingRuntime(pidFile, `trap '' TERM; while :; do sleep 1; done`),
  });
  const taskId = await issue(stack, functionId);
  const pid = await pidOf(pidFile);

  const cancelled = await stack.request(`/v1/task/${taskId}/cancel`, { method: 'POST', token });
  expect(cancelled.status).toBe(200);
  await eventually(() => expect(isRunning(pid)).toBe(false), 30_000);
});

e2e.test(
  'a waiting task leaves the queue; repeating the cancel answers the same',
  async (stack) => {
    // No node has 64 cpus: the task waits.
    const functionId = await stack.registerFunction(token, {
      name: 'never placed',
      cpuCount: 64,
      runtime: { kind: 'process', command: 'cat' },
    });
    const taskId = await issue(stack, functionId);

    const first = await stack.requestJson<Record<string, unknown>>(`/v1/task/${taskId}`, {
      method: 'DELETE',
      token,
    });
    expect(first.status).toBe(200);
    for (const [method, suffix] of [
      ['DELETE', ''],
      ['POST', '/cancel'],
    ] as const) {
      const again = await stack.requestJson<Record<string, unknown>>(
        `/v1/task/${taskId}${suffix}`,
        {
          method,
          token,
        },
      );
      expect(again.status).toBe(200);
      expect(again.body).toEqual(first.body);
    }
    const events = await history(stack, taskId);
    expect(events.map((entry) => entry.type)).toEqual(['TaskIssued', 'TaskFailed']);
    expect(events[1]?.data).toMatchObject({ reason: 'CANCELLED', status: 499 });
  },
);

e2e.test('a finished task answers 409 TASK_FINISHED and stays finished', async (stack) => {
  const taskId = await finishedEchoTask(stack, 'echo');

  const refused = await stack.requestJson<Record<string, unknown>>(`/v1/task/${taskId}`, {
    method: 'DELETE',
    token,
  });
  expect(refused.status).toBe(409);
  expect(refused.body).toEqual({
    error: 'TASK_FINISHED',
    message: expect.stringContaining('status 200'),
    status: 200,
    finished: expect.stringMatching(/^[0-9]{10}$/),
  });
  expect((await stack.request(`/v1/task/${taskId}/result`, { token })).status).toBe(200);
  expect((await history(stack, taskId)).map((entry) => entry.type)).toEqual([
    'TaskIssued',
    'TaskAssigned',
    'TaskFinished',
  ]);
});

e2e.test(
  'the SSE history delivers progress up to 100 and ends at the terminal event, resuming after a dropped connection without gaps or repeats',
  async (stack) => {
    const functionId = await stack.registerFunction(token, {
      name: 'reports progress',
      runtime: {
        kind: 'process',
        command: '/bin/sh',
        args: [
          '-c',
          'for p in 0 20 40 60 80 100; do echo "::progress $p" >&2; sleep 0.3; done; printf done',
        ],
      },
    });
    const taskId = await issue(stack, functionId);
    const url = `${stack.url}/v1/task/${taskId}/events`;

    // Dropped by the client after the first progress, as a network failure would.
    const first = await readTaskEventStream(url, {
      token,
      stopAfter: (entry) => entry.type === 'TaskProgressed',
    });
    expect(first.endedByServer).toBe(false);
    const lastSeen = first.entries.at(-1)?.version ?? 0;
    const rest = await readTaskEventStream(url, { token, lastEventId: lastSeen });
    expect(rest.endedByServer).toBe(true);

    const received = [...first.entries, ...rest.entries];
    const versions = received.map((entry) => entry.version);
    expect(versions).toEqual(versions.map((_version, index) => index + 1));
    expect(received).toEqual(await history(stack, taskId));
    expect(received.at(-1)).toMatchObject({ type: 'TaskFinished', data: { status: 200 } });
    const progress = received
      .filter((entry) => entry.type === 'TaskProgressed')
      .map((entry) => entry.data['progress']);
    expect(progress.at(-1)).toBe(100);
    expect(progress).toEqual([...progress].sort((a, b) => Number(a) - Number(b)));
    // Nothing a client may not see: no body, no query.
    expect(JSON.stringify(received)).not.toContain('done');

    // Reconnecting after the terminal event (as EventSource does whenever a stream ends) is a 204,
    // which tells EventSource to stop; ?follow=true is a stream as Accept is.
    const after = await stack.request(`/v1/task/${taskId}/events?follow=true`, {
      token,
      headers: { 'last-event-id': String(versions.length) },
    });
    expect(after.status).toBe(204);
    const fromStart = await readTaskEventStream(`${url}?follow=true`, { token });
    expect(fromStart).toEqual({ entries: received, endedByServer: true });
  },
);

e2e.test('history pages follow their Link; another account sees nothing', async (stack) => {
  const taskId = await finishedEchoTask(stack, 'paged');

  const all = await history(stack, taskId);
  const first = await stack.request(`/v1/task/${taskId}/events?limit=2`, { token });
  const link = first.headers.get('link');
  expect(link).toBe(`</v1/task/${taskId}/events?limit=2&from=3>; rel="next"`);
  const next = await stack.requestJson<TaskHistoryEntry[]>(
    (link ?? '').slice(1, (link ?? '').indexOf('>')),
    { token },
  );
  expect([...((await first.json()) as TaskHistoryEntry[]), ...next.body]).toEqual(all);

  const { token: otherToken } = await stack.signUp('other');
  for (const [method, suffix] of [
    ['GET', '/events'],
    ['GET', '/events?follow=true'],
    ['DELETE', ''],
    ['POST', '/cancel'],
  ] as const) {
    const answer = await stack.requestJson<Record<string, unknown>>(`/v1/task/${taskId}${suffix}`, {
      method,
      token: otherToken,
    });
    expect({ suffix, status: answer.status, body: answer.body }).toEqual({
      suffix,
      status: 404,
      body: { error: 'NOT_FOUND', message: `no task ${taskId}` },
    });
  }
});
