import { nodeInboxPrefix } from '@canopy/contracts';
import type { Assignment } from '@canopy/contracts';
import { testNatsUrl } from '@canopy/local-services/testing';
import { connect } from '@nats-io/transport-node';
import { CanopyNode } from './canopy-node.js';
import type { RunningTask, TaskHandler } from './task-run.js';
import { TaskAbortedError } from './task-run.js';
import {
  ScriptedScheduler,
  recordingLogger,
  sampleAssignment,
  uniqueNodeId,
} from './testing/index.js';
import type { RecordedLogLine } from './testing/index.js';

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

function abortOf(task: RunningTask): Promise<unknown> {
  return new Promise((resolve) => {
    if (task.signal.aborted) resolve(task.signal.reason);
    task.signal.addEventListener('abort', () => resolve(task.signal.reason), { once: true });
  });
}

/** Handlers in these tests honour their signal, so that a failing test cannot leave them hanging. */
function settledOrAborted(work: Promise<void>, task: RunningTask): Promise<unknown> {
  return Promise.race([work, abortOf(task)]);
}

const text = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8');
const capabilities = { cpuCount: 2, memSize: 2048, networkLatency: 10, privileged: false };
const fastRetry = { requestTimeoutMs: 250, initialDelayMs: 20, maxDelayMs: 100 };

/** What every node of these tests is, whatever it connects through. */
function nodeOptions(nodeId: string, lines: RecordedLogLine[], slots = 2) {
  return {
    nodeId,
    capabilities,
    slots,
    agent: 'sdk-test/1.0',
    logger: recordingLogger(lines),
    retry: fastRetry,
  };
}

describe('CanopyNode against a scripted scheduler on real NATS', () => {
  let scheduler: ScriptedScheduler;
  let node: CanopyNode;
  let logLines: RecordedLogLine[];

  async function startNode(
    label: string,
    handler: TaskHandler,
    { slots = 2 }: { slots?: number } = {},
  ): Promise<void> {
    const nodeId = uniqueNodeId(`sdk-${label}`);
    scheduler = await ScriptedScheduler.start({ servers: testNatsUrl(), nodeId });
    node = createNode(nodeId, slots);
    await node.start(handler);
  }

  function createNode(nodeId: string, slots = 2): CanopyNode {
    logLines = [];
    return new CanopyNode({ servers: testNatsUrl(), ...nodeOptions(nodeId, logLines, slots) });
  }

  afterEach(async () => {
    await node.stop({ graceMs: 0 });
    expect(scheduler.invalidReports).toEqual([]);
    await scheduler.close();
  });

  test('announces, heartbeats, runs an assignment and reports progress and the result', async () => {
    const seen: RunningTask[] = [];
    await startNode('flow', async (task) => {
      seen.push(task);
      task.progress(40);
      await scheduler.waitFor('progress', (report) => report.taskId === task.taskId);
      return {
        status: 201,
        contentType: 'text/plain',
        headers: { 'x-answer': '42' },
        body: Buffer.concat([task.request.body, Buffer.from('!')]),
      };
    });
    expect(node.phase).toBe('running');
    expect(await scheduler.waitFor('announce')).toEqual({
      nodeId: node.nodeId,
      capabilities,
      slots: 2,
      runningTasks: [],
      agent: 'sdk-test/1.0',
    });
    expect(await scheduler.waitFor('heartbeat')).toMatchObject({ freeSlots: 2, runningTasks: [] });

    const assignment = sampleAssignment({
      runtime: { kind: 'demo', n: 1 },
      request: { query: 'a=1&b=2', contentType: 'text/plain', body: 'hello' },
    });
    expect(await scheduler.assign(assignment)).toEqual({ accepted: true });

    const progress = await scheduler.waitFor('progress');
    expect(progress).toMatchObject({ taskId: assignment.taskId, attempt: 1, progress: 40 });
    const result = await scheduler.waitFor('result');
    expect(result).toMatchObject({
      taskId: assignment.taskId,
      attempt: 1,
      response: { status: 201, contentType: 'text/plain', headers: { 'x-answer': '42' } },
    });
    expect(text(result.response.body)).toBe('hello!');
    expect(result.reportId).not.toBe(progress.reportId);

    const [task] = seen;
    expect(task).toMatchObject({
      taskId: assignment.taskId,
      attempt: 1,
      functionId: assignment.functionId,
      accountId: assignment.accountId,
      runtime: { kind: 'demo', n: 1 },
      request: { query: 'a=1&b=2', contentType: 'text/plain' },
      timeout: 30,
    });
    expect(task?.request.body.toString()).toBe('hello');
    expect(task?.signal.aborted).toBe(false);
    // Logs carry ids, never bodies.
    expect(JSON.stringify(logLines)).toContain(assignment.taskId);
    expect(JSON.stringify(logLines)).not.toMatch(/hello/);
  });

  test('retries a result whose acknowledgement is lost, with the same report id, until acknowledged', async () => {
    await startNode('lost-ack', () => ({ status: 200, body: 'done' }));
    scheduler.answer('result', (_report, occurrence) => {
      if (occurrence === 1) return 'ignore';
      if (occurrence === 2) {
        return { ok: false, error: { code: 'BUSY', message: 'try again' }, retry: true };
      }
      return { ok: true };
    });
    const assignment = sampleAssignment();
    await scheduler.assign(assignment);
    await scheduler.waitFor('result', () => scheduler.received('result').length === 3);
    await node.stop();
    await scheduler.waitFor('goodbye');
    const results = scheduler.received('result');
    expect(results.map(({ report }) => report.taskId)).toEqual([
      assignment.taskId,
      assignment.taskId,
      assignment.taskId,
    ]);
    expect(new Set(results.map(({ report }) => report.reportId)).size).toBe(1);
  });

  test('stop() gives up on a result never acknowledged once its grace is over', async () => {
    await startNode('never-acked', () => ({ status: 200 }));
    scheduler.answer('result', () => 'ignore');
    await scheduler.assign(sampleAssignment());
    await scheduler.waitFor('result', () => scheduler.received('result').length >= 2);
    // Resolves only once the result's retries have ended.
    await node.stop({ graceMs: 100 });
    expect(
      logLines.filter(
        ({ message }) => message === 'stopped reporting the result before it was acknowledged',
      ),
    ).toHaveLength(1);
  });

  test('a cancellation while the result is being reported ends its retries', async () => {
    await startNode('cancel-reporting', () => ({ status: 200 }));
    scheduler.answer('result', () => 'ignore');
    const assignment = sampleAssignment();
    await scheduler.assign(assignment);
    await scheduler.waitFor('result');
    await scheduler.cancel({ taskId: assignment.taskId, attempt: 1, reason: 'CANCELLED' });
    // The attempt is over for the node once it stops reporting: it leaves the heartbeat.
    await scheduler.waitFor('heartbeat', (beat) => beat.runningTasks.length === 0);
    expect(
      logLines.filter(
        ({ message }) => message === 'stopped reporting the result before it was acknowledged',
      ),
    ).toHaveLength(1);
  });

  test('an acknowledgement with retry: false ends the retries', async () => {
    await startNode('refused', () => ({ status: 200 }));
    scheduler.answer('result', () => ({
      ok: false,
      error: { code: 'NOT_ASSIGNED', message: 'not yours' },
      retry: false,
    }));
    await scheduler.assign(sampleAssignment());
    await scheduler.waitFor('result');
    // The attempt is over for the node once refused: it leaves the heartbeat.
    await scheduler.waitFor(
      'heartbeat',
      (beat) => beat.runningTasks.length === 0 && beat.freeSlots === 2,
    );
    await node.stop();
    await scheduler.waitFor('goodbye');
    expect(scheduler.received('result')).toHaveLength(1);
    expect(logLines.some(({ fields }) => JSON.stringify(fields).includes('NOT_ASSIGNED'))).toBe(
      true,
    );
  });

  test('never runs more tasks than its slots, and runs a repeated assignment only once', async () => {
    const release = deferred();
    let calls = 0;
    await startNode(
      'slots',
      async (task) => {
        calls += 1;
        await settledOrAborted(release.promise, task);
        return { status: 200 };
      },
      { slots: 1 },
    );
    const first = sampleAssignment();
    const second = sampleAssignment();
    expect(await scheduler.assign(first)).toEqual({ accepted: true });
    expect(await scheduler.assign(second)).toEqual({ accepted: false, reason: 'NO_FREE_SLOT' });
    expect(await scheduler.assign(first)).toEqual({ accepted: true });
    expect(await scheduler.assign({ ...first, attempt: 2 })).toEqual({
      accepted: false,
      reason: 'NO_FREE_SLOT',
    });
    await scheduler.waitFor(
      'heartbeat',
      (beat) =>
        beat.freeSlots === 0 && beat.runningTasks.some((run) => run.taskId === first.taskId),
    );

    release.resolve();
    await scheduler.waitFor('result', (report) => report.taskId === first.taskId);
    expect(await scheduler.assign(first)).toEqual({ accepted: true });
    expect(await scheduler.assign(second)).toEqual({ accepted: true });
    await scheduler.waitFor('result', (report) => report.taskId === second.taskId);
    expect(calls).toBe(2);
    expect(scheduler.received('result').map(({ report }) => report.taskId)).toEqual([
      first.taskId,
      second.taskId,
    ]);
  });

  test('refuses assignments of a lower epoch than the highest it has seen: a deposed leader', async () => {
    await startNode('epochs', () => ({ status: 200 }), { slots: 4 });
    expect(await scheduler.assign(sampleAssignment({ epoch: 5 }))).toEqual({ accepted: true });
    expect(await scheduler.assign(sampleAssignment({ epoch: 4 }))).toEqual({
      accepted: false,
      reason: 'STALE_EPOCH',
    });
    expect(await scheduler.assign(sampleAssignment({ epoch: 5 }))).toEqual({ accepted: true });
    expect(await scheduler.assign(sampleAssignment({ epoch: 6 }))).toEqual({ accepted: true });
    expect(await scheduler.assign(sampleAssignment({ epoch: 5 }))).toMatchObject({
      accepted: false,
    });
    await scheduler.waitFor('result', () => scheduler.received('result').length >= 3);
    expect(scheduler.received('result')).toHaveLength(3);
  });

  test('rejects an invalid assignment with the reason and keeps working', async () => {
    await startNode('invalid', () => ({ status: 204 }));
    const reply = await scheduler.assign({ ...sampleAssignment(), taskId: 'not-an-id' });
    expect(reply).toEqual({
      accepted: false,
      reason: 'Invalid assignment: taskId must be 24 lower-case hexadecimal characters',
    });
    expect(await scheduler.assign('garbage')).toMatchObject({ accepted: false });
    expect(
      logLines.filter(({ message }) => message === 'rejected an invalid assignment'),
    ).toHaveLength(2);

    const valid = sampleAssignment();
    expect(await scheduler.assign(valid)).toEqual({ accepted: true });
    expect((await scheduler.waitFor('result')).response.status).toBe(204);
  });

  test('a cancellation aborts the handler, frees the slot and reports no result', async () => {
    const aborts: unknown[] = [];
    await startNode('cancel', async (task) => {
      aborts.push(await abortOf(task));
      return { status: 200, body: 'too late' };
    });
    const assignment = sampleAssignment({ attempt: 3 });
    await scheduler.assign(assignment);
    await scheduler.waitFor('heartbeat', (beat) => beat.runningTasks.length === 1);
    await scheduler.cancel({ taskId: assignment.taskId, attempt: 3, reason: 'CANCELLED' });
    await scheduler.waitFor(
      'heartbeat',
      (beat) => beat.runningTasks.length === 0 && beat.freeSlots === 2,
    );
    expect(aborts).toHaveLength(1);
    expect(aborts[0]).toBeInstanceOf(TaskAbortedError);
    expect((aborts[0] as TaskAbortedError).abort).toEqual({
      kind: 'cancelled',
      reason: 'CANCELLED',
    });
    await node.stop();
    await scheduler.waitFor('goodbye');
    expect(scheduler.received('result')).toEqual([]);
  });

  test('an assignment whose cancellation overtook it is refused, and runs nothing', async () => {
    let runs = 0;
    await startNode('cancel-early', () => {
      runs += 1;
      return { status: 200 };
    });
    const assignment = sampleAssignment({ attempt: 4 });
    // Sent on one connection, so the node hears them in this order.
    await scheduler.cancel({ taskId: assignment.taskId, attempt: 4, reason: 'CANCELLED' });
    expect(await scheduler.assign(assignment)).toEqual({ accepted: false, reason: 'CANCELLED' });
    // Another attempt of the same task is not affected.
    expect(await scheduler.assign(sampleAssignment({ attempt: 5 }))).toEqual({ accepted: true });
    await scheduler.waitFor('result', (result) => result.attempt === 5);
    expect(runs).toBe(1);
  });

  test('a cancellation of another attempt leaves the running one alone', async () => {
    const release = deferred();
    let aborted = false;
    await startNode('cancel-other', async (task) => {
      task.signal.addEventListener('abort', () => {
        aborted = true;
      });
      await settledOrAborted(release.promise, task);
      return { status: 200 };
    });
    const assignment = sampleAssignment({ attempt: 2 });
    await scheduler.assign(assignment);
    await scheduler.cancel({ taskId: assignment.taskId, attempt: 1, reason: 'NODE_LOST' });
    await scheduler.cancel({ taskId: 'bad' } as never);
    release.resolve();
    const result = await scheduler.waitFor('result');
    expect(result).toMatchObject({
      taskId: assignment.taskId,
      attempt: 2,
      response: { status: 200 },
    });
    expect(aborted).toBe(false);
    expect(logLines.some(({ message }) => message === 'ignored an invalid cancellation')).toBe(
      true,
    );
  });

  test('a task past its timeout is aborted and nothing is reported: the platform fails it', async () => {
    let aborted: (abort: unknown) => void = () => undefined;
    const abort = new Promise<unknown>((resolve) => (aborted = resolve));
    await startNode('timeout', async (task) => {
      if (task.timeout === 1) {
        aborted(await abortOf(task));
        return { status: 200, body: 'ignored' };
      }
      return { status: 200, body: 'next' };
    });
    const assignment: Assignment = sampleAssignment({ timeout: 1 });
    await scheduler.assign(assignment);
    expect(((await abort) as TaskAbortedError).abort).toEqual({
      kind: 'timeout',
      timeoutSeconds: 1,
    });
    // A later task's result arrives while the timed-out one never reports.
    const next = sampleAssignment({ timeout: 30 });
    await scheduler.assign(next);
    const result = await scheduler.waitFor('result');
    expect(result.taskId).toBe(next.taskId);
  });

  test('a handler that throws is reported as a 500 that does not leak the error', async () => {
    await startNode('throws', () => {
      throw new Error('database password is hunter2');
    });
    await scheduler.assign(sampleAssignment());
    const result = await scheduler.waitFor('result');
    expect(result.response).toMatchObject({
      status: 500,
      contentType: 'text/plain; charset=utf-8',
    });
    expect(text(result.response.body)).toBe('The node failed to run the function.');
  });

  test('a handler returning an invalid response is reported as a 500 naming the problem', async () => {
    await startNode('bad-response', () => ({ status: 42 }));
    await scheduler.assign(sampleAssignment());
    const result = await scheduler.waitFor('result');
    expect(result.response.status).toBe(500);
    expect(text(result.response.body)).toContain('status must be at least 100');
  });

  test('progress is coalesced to the latest value, only increases, and stops with the result', async () => {
    let saved: RunningTask | undefined;
    await startNode('progress', async (task) => {
      saved = task;
      task.progress(10);
      // The first send is not answered, so these wait; only the latest of them is sent.
      task.progress(20);
      task.progress(30);
      task.progress(25);
      task.progress(50.7);
      await scheduler.waitFor('progress', (report) => report.progress === 50);
      expect(() => task.progress(101)).toThrow(RangeError);
      return { status: 200 };
    });
    scheduler.answer('progress', (_report, occurrence) =>
      occurrence === 1 ? 'ignore' : { ok: true },
    );
    await scheduler.assign(sampleAssignment());
    await scheduler.waitFor('result');
    saved?.progress(90);
    await node.stop();
    await scheduler.waitFor('goodbye');
    const sent = scheduler.received('progress').map(({ report }) => report);
    expect(sent.map((report) => report.progress)).toEqual([10, 50]);
    expect(sent[0]?.reportId).not.toBe(sent[1]?.reportId);
  });

  test('an unanswered progress report is not retried once the result is reported', async () => {
    await startNode('progress-then-result', async (task) => {
      task.progress(10);
      await scheduler.waitFor('progress');
      return { status: 200 };
    });
    scheduler.answer('progress', () => 'ignore');
    await scheduler.assign(sampleAssignment());
    await scheduler.waitFor('result');
    // Longer than a request timeout plus the longest retry wait (250 + 100 ms) at 100 ms a beat.
    const beats = scheduler.received('heartbeat').length;
    await scheduler.waitFor('heartbeat', () => scheduler.received('heartbeat').length >= beats + 5);
    expect(scheduler.received('progress')).toHaveLength(1);
  });

  test('a heartbeat answered UNKNOWN_NODE makes the node announce again, with its running tasks', async () => {
    const release = deferred();
    await startNode('unknown', async (task) => {
      await settledOrAborted(release.promise, task);
      return { status: 200 };
    });
    const assignment = sampleAssignment();
    await scheduler.assign(assignment);
    let forget = true;
    scheduler.answer('heartbeat', () => {
      if (!forget) return { ok: true };
      forget = false;
      return { ok: false, error: { code: 'UNKNOWN_NODE', message: 'who are you?' } };
    });
    const again = await scheduler.waitFor(
      'announce',
      () => scheduler.received('announce').length === 2,
    );
    expect(again.runningTasks).toEqual([{ taskId: assignment.taskId, attempt: 1 }]);
    const beatsBefore = scheduler.received('heartbeat').length;
    await scheduler.waitFor(
      'heartbeat',
      () => scheduler.received('heartbeat').length > beatsBefore,
    );
    release.resolve();
    await scheduler.waitFor('result');
  });

  test('announcing is retried until a scheduler answers ok', async () => {
    const nodeId = uniqueNodeId('sdk-late-scheduler');
    node = createNode(nodeId);
    // No scheduler listens yet: the first announcements find no responders.
    const started = node.start(() => ({ status: 200 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(node.phase).toBe('starting');
    // Scripted before it subscribes: an announcement may arrive while it starts.
    scheduler = await ScriptedScheduler.start({
      servers: testNatsUrl(),
      nodeId,
      answers: {
        announce: (_report, occurrence) =>
          occurrence === 1
            ? { ok: false, error: { code: 'NOT_READY', message: 'warming up' } }
            : { ok: true, heartbeatIntervalMs: 100, heartbeatTimeoutMs: 300 },
      },
    });
    await started;
    expect(node.phase).toBe('running');
    expect(scheduler.received('announce').length).toBeGreaterThanOrEqual(2);
    expect(logLines.some(({ message }) => message.includes('announcement not answered'))).toBe(
      true,
    );
  });

  test('stop() rejects new work, lets running tasks finish within the grace, then says goodbye', async () => {
    const release = deferred();
    await startNode('stop-grace', async (task) => {
      await settledOrAborted(release.promise, task);
      return { status: 200 };
    });
    const running = sampleAssignment();
    await scheduler.assign(running);
    const stopped = node.stop({ graceMs: 20_000 });
    expect(node.phase).toBe('stopping');
    expect(await scheduler.assign(sampleAssignment())).toEqual({
      accepted: false,
      reason: 'NODE_STOPPING',
    });
    await scheduler.waitFor('heartbeat', (beat) => beat.freeSlots === 0);
    release.resolve();
    await stopped;
    expect(node.stop()).toBe(stopped);
    expect(node.phase).toBe('stopped');
    expect(await node.closed()).toBeUndefined();
    expect((await scheduler.waitFor('goodbye')).nodeId).toBe(node.nodeId);
    expect(scheduler.received('result').map(({ report }) => report.taskId)).toEqual([
      running.taskId,
    ]);
    await expect(scheduler.assign(sampleAssignment(), 1_000)).rejects.toThrow();
  });

  test('stop() without grace aborts running tasks and hands them back without a result', async () => {
    const aborts: unknown[] = [];
    await startNode('stop-now', async (task) => {
      aborts.push(await abortOf(task));
      return { status: 200 };
    });
    await scheduler.assign(sampleAssignment());
    await scheduler.waitFor('heartbeat', (beat) => beat.runningTasks.length === 1);
    await node.stop({ graceMs: 0 });
    expect((aborts[0] as TaskAbortedError).abort).toEqual({ kind: 'stopping' });
    await scheduler.waitFor('goodbye');
    expect(scheduler.received('result')).toEqual([]);
  });

  test('with a connection of its own caller, stop() leaves it open; its loss stops the node', async () => {
    const nodeId = uniqueNodeId('sdk-borrowed');
    scheduler = await ScriptedScheduler.start({ servers: testNatsUrl(), nodeId });
    const connection = await connect({
      servers: testNatsUrl(),
      inboxPrefix: nodeInboxPrefix(nodeId),
    });
    const lines: RecordedLogLine[] = [];
    const borrowing = new CanopyNode({ connection, ...nodeOptions(nodeId, lines, 1) });
    await borrowing.start(() => ({ status: 200 }));
    await scheduler.assign(sampleAssignment());
    await scheduler.waitFor('result');
    await connection.close();
    expect(await borrowing.closed()).toBeInstanceOf(Error);
    expect(borrowing.phase).toBe('stopped');

    const second = await connect({ servers: testNatsUrl(), inboxPrefix: nodeInboxPrefix(nodeId) });
    node = new CanopyNode({ connection: second, ...nodeOptions(nodeId, lines, 1) });
    await node.start(() => ({ status: 200 }));
    await node.stop();
    expect(second.isClosed()).toBe(false);
    await second.close();
  });

  test('cannot start twice, and stop() before start() just stops', async () => {
    const nodeId = uniqueNodeId('sdk-lifecycle');
    scheduler = await ScriptedScheduler.start({ servers: testNatsUrl(), nodeId });
    node = createNode(nodeId);
    await node.stop();
    expect(node.phase).toBe('stopped');
    await expect(node.start(() => ({ status: 200 }))).rejects.toThrow('it is stopped');
    expect(scheduler.received('announce')).toEqual([]);
  });
});
