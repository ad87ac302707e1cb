import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { PersistentRuntimeSpec } from '@canopy/contracts';
import type { TaskResult } from '@canopy/node-sdk';
import { recordingLogger, testRunningTask } from '@canopy/node-sdk/testing';
import type {
  RecordedLogLine,
  TestRunningTask,
  TestRunningTaskOptions,
} from '@canopy/node-sdk/testing';
import { processEnded, processHasEnded } from '../../testing/process-table.js';
import type { FunctionLimits } from '../function-limits.js';
import type { ProcessGroups } from '../process-groups.js';
import { untrackedProcessGroups } from '../process-groups.js';
import { PersistentRuntime } from './persistent-runtime.js';
import type { PersistentRuntimeSettings } from './persistent-runtime.js';

// The function under test: a Node.js script run with this very node binary that speaks the
// framing, and whose behaviour for each invocation is chosen by the invocation's query.
const FUNCTION = `
const fs = require('node:fs');
const readline = require('node:readline');
const b64 = (text) => Buffer.from(text).toString('base64');
if (process.env.IGNORE_SIGTERM) process.on('SIGTERM', () => process.stderr.write('ignoring SIGTERM\\n'));
const lines = readline.createInterface({ input: process.stdin });
lines.on('close', () => {
  if (process.env.STDIN_CLOSED_FILE) fs.writeFileSync(process.env.STDIN_CLOSED_FILE, 'stdin closed');
  if (!process.env.IGNORE_STDIN_CLOSE) process.exit(0);
});
lines.on('line', (line) => {
  const request = JSON.parse(line);
  if (request.cancel) {
    if (!process.env.IGNORE_CANCEL) process.stdout.write(JSON.stringify({ id: request.id, status: 499 }) + '\\n');
    return;
  }
  const send = (message) => process.stdout.write(JSON.stringify({ id: request.id, ...message }) + '\\n');
  const body = Buffer.from(request.body, 'base64').toString();
  switch (request.query) {
    case 'echo':
      return send({ status: 201, contentType: 'application/json', headers: { 'X-Pid': String(process.pid) },
        body: b64(JSON.stringify({ pid: process.pid, request: { ...request, body } })) });
    case 'pid':
      return send({ body: b64(String(process.pid)) });
    case 'minimal':
      return send({});
    case 'progress':
      send({ progress: 10 });
      send({ progress: 55.5 });
      return send({ body: b64('done') });
    case 'crash':
      process.stderr.write('warming up\\nfatal: it broke\\n');
      return process.exit(3);
    case 'silent-exit':
      return process.exit(7);
    case 'not-json':
      return process.stdout.write('hello\\n');
    case 'wrong-id':
      return process.stdout.write(JSON.stringify({ id: 'someone-else:1' }) + '\\n');
    case 'huge':
      return send({ body: b64('x'.repeat(5000)) });
    case 'twice':
      send({ body: b64('first') });
      return send({ body: b64('second') });
    case 'hang':
      process.stderr.write('hanging\\n');
      return send({ progress: 1 });
  }
});`;

const limits: FunctionLimits = { maxResponseBytes: 1_000, stderrTailBytes: 64, killGraceMs: 300 };
const inheritedEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };

const spec = (env: Record<string, string> = {}, concurrency?: number): PersistentRuntimeSpec => ({
  kind: 'persistent',
  command: process.execPath,
  args: ['-e', FUNCTION],
  env,
  ...(concurrency === undefined ? {} : { concurrency }),
});

const bodyText = (result: TaskResult): string => Buffer.from(result.body ?? '').toString('utf8');

describe('persistent runtime (real child processes)', () => {
  let runtime: PersistentRuntime;
  let functionId: string;
  let logs: RecordedLogLine[];

  /** Resolves once the runtime has logged that the process `pid` ended. */
  async function endNoticed(pid: number): Promise<void> {
    const deadline = Date.now() + 15_000;
    const noticed = () =>
      logs.some(
        (line) =>
          line.message === 'persistent function process ended' && line.fields['pid'] === pid,
      );
    while (!noticed()) {
      if (Date.now() > deadline) throw new Error(`the end of process ${pid} went unnoticed`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  function start(settings: Partial<PersistentRuntimeSettings> = {}): PersistentRuntime {
    runtime = new PersistentRuntime({
      limits,
      inheritedEnv,
      processGroups: untrackedProcessGroups,
      maxProcesses: 4,
      idleMs: 60_000,
      logger: recordingLogger(logs),
      ...settings,
    });
    return runtime;
  }

  function invoke(
    query: string,
    options: TestRunningTaskOptions = {},
    runtimeSpec: PersistentRuntimeSpec = spec(),
  ): Promise<TaskResult> {
    const { task } = testRunningTask({
      functionId,
      ...options,
      request: { query, ...options.request },
    });
    return runtime.run(runtimeSpec, task);
  }

  async function pidOf(runtimeSpec: PersistentRuntimeSpec = spec(), id = functionId) {
    const result = await invoke('pid', { functionId: id }, runtimeSpec);
    expect(result.status).toBe(200);
    return Number(bodyText(result));
  }

  /** Starts an invocation that never answers and resolves once the function has it. */
  async function hanging(runtimeSpec: PersistentRuntimeSpec = spec()) {
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => (started = resolve));
    const handle: TestRunningTask = testRunningTask({
      functionId,
      request: { query: 'hang' },
      onProgress: () => started(),
    });
    const result = runtime.run(runtimeSpec, handle.task);
    await running;
    return { handle, result };
  }

  beforeEach(() => {
    functionId = testRunningTask().task.functionId;
    logs = [];
    start();
  });

  afterEach(async () => {
    await runtime.close();
  });

  test('one process serves invocation after invocation, each with its request and response', async () => {
    const first = testRunningTask({
      functionId,
      attempt: 3,
      request: { query: 'echo', contentType: 'application/json', body: '{"n":1}' },
    });
    const result = await runtime.run(spec(), first.task);
    expect(result).toMatchObject({ status: 201, contentType: 'application/json' });
    const seen = JSON.parse(bodyText(result)) as { pid: number; request: unknown };
    expect(result.headers).toEqual({ 'x-pid': String(seen.pid) });
    expect(seen.request).toEqual({
      id: `${first.task.taskId}:3`,
      taskId: first.task.taskId,
      attempt: 3,
      functionId,
      query: 'echo',
      contentType: 'application/json',
      body: '{"n":1}',
    });
    const pids = [seen.pid];
    for (let index = 0; index < 4; index++) pids.push(await pidOf());
    expect(new Set(pids).size).toBe(1);
  });

  test('a response of only its id is an empty 200', async () => {
    expect(await invoke('minimal')).toEqual({
      status: 200,
      contentType: null,
      headers: {},
      body: Buffer.alloc(0),
    });
  });

  test('progress lines report progress', async () => {
    const progress: number[] = [];
    const result = await invoke('progress', { onProgress: (percent) => progress.push(percent) });
    expect(bodyText(result)).toBe('done');
    expect(progress).toEqual([10, 55]);
  });

  test('a crash during an invocation is a 500 with the tail of stderr; the next runs on a fresh process', async () => {
    const before = await pidOf();
    const crash = await invoke('crash');
    expect(crash).toMatchObject({ status: 500, contentType: 'text/plain; charset=utf-8' });
    expect(bodyText(crash)).toBe('warming up\nfatal: it broke\n');
    const after = await pidOf();
    expect(after).not.toBe(before);
    expect(await processHasEnded(before)).toBe(true);

    const silentExit = await invoke('silent-exit');
    expect(bodyText(silentExit)).toBe(
      'The function exited with code 7 and wrote nothing to stderr.',
    );
    expect(await pidOf()).not.toBe(after);
  });

  test.each([
    [
      'not-json',
      'The function wrote a line to stdout that is not valid framing. Invalid function message: must be a UTF-8 JSON document.',
    ],
    [
      'wrong-id',
      'The function wrote a line to stdout that is not valid framing. Invalid function message: id must be',
    ],
    ['huge', "The function's response is larger than 1000 bytes, the most a response may have."],
  ])(
    'output that breaks the framing or the limits (%s) is a 500, and the process is replaced',
    async (query, message) => {
      const before = await pidOf();
      const result = await invoke(query);
      expect(result.status).toBe(500);
      expect(bodyText(result).startsWith(message)).toBe(true);
      await processEnded(before);
      expect(await pidOf()).not.toBe(before);
    },
  );

  test('a second response for one invocation stops the process; the first one stands', async () => {
    const before = await pidOf();
    expect(bodyText(await invoke('twice'))).toBe('first');
    await processEnded(before);
    expect(await pidOf()).not.toBe(before);
  });

  test.each([
    ['the timeout', { kind: 'timeout', timeoutSeconds: 1 } as const],
    ['a cancellation', { kind: 'cancelled', reason: 'CANCELLED' } as const],
  ])(
    '%s stops the process, with SIGKILL if SIGTERM is ignored, and it is replaced',
    async (_name, abort) => {
      const stubborn = spec({ IGNORE_SIGTERM: '1' });
      const before = await pidOf(stubborn);
      const { handle, result } = await hanging(stubborn);
      handle.abort(abort);
      expect(bodyText(await result)).toBe('The function was stopped.');
      expect(await processHasEnded(before)).toBe(true);
      expect(await pidOf(stubborn)).not.toBe(before);
    },
  );

  test('a task aborted before it starts runs nothing', async () => {
    const handle = testRunningTask({ functionId, request: { query: 'pid' } });
    handle.abort();
    expect(bodyText(await runtime.run(spec(), handle.task))).toBe('The function was stopped.');
  });

  test('invocations at the same time get processes of their own', async () => {
    const busy = await hanging();
    const other = await pidOf();
    const { pid } = JSON.parse(bodyText(await invoke('echo'))) as { pid: number };
    expect(pid).toBe(other);
    busy.handle.abort();
    await busy.result;
  });

  describe('a process serving several invocations at once (concurrency 2)', () => {
    const concurrent = (env: Record<string, string> = {}) => spec(env, 2);

    test('takes a second invocation while one is in progress, and a third goes to a new process', async () => {
      const first = await pidOf(concurrent());
      const busy = await hanging(concurrent());
      // The hanging invocation went to the only process; a second one is answered beside it.
      expect(await pidOf(concurrent())).toBe(first);
      const otherBusy = await hanging(concurrent());
      const third = await pidOf(concurrent());
      expect(third).not.toBe(first);
      busy.handle.abort();
      otherBusy.handle.abort();
      await Promise.all([busy.result, otherBusy.result]);
      expect(await processHasEnded(first)).toBe(false);
    });

    test('a stopped invocation is sent a cancel line, and the process serves on', async () => {
      const before = await pidOf(concurrent());
      const { handle, result } = await hanging(concurrent());
      handle.abort({ kind: 'cancelled', reason: 'CANCELLED' });
      expect(bodyText(await result)).toBe('The function was stopped.');
      expect(await pidOf(concurrent())).toBe(before);
      expect(await processHasEnded(before)).toBe(false);
    });

    test('a process that does not answer a cancel line within the grace is stopped with its other invocations', async () => {
      const deaf = concurrent({ IGNORE_CANCEL: '1' });
      const before = await pidOf(deaf);
      const stopped = await hanging(deaf);
      const bystander = await hanging(deaf);
      stopped.handle.abort({ kind: 'timeout', timeoutSeconds: 1 });
      expect(bodyText(await stopped.result)).toBe('The function was stopped.');
      const lost = await bystander.result;
      expect(lost.status).toBe(500);
      expect(bodyText(lost)).toBe(
        `The function's process was stopped: it did not answer the cancelled invocation ${stopped.handle.task.taskId}:1 within 300 ms.`,
      );
      expect(await processHasEnded(before)).toBe(true);
      expect(await pidOf(deaf)).not.toBe(before);
    });

    test('a line naming no invocation in progress fails all of them and replaces the process', async () => {
      const before = await pidOf(concurrent());
      const bystander = await hanging(concurrent());
      const result = await invoke('wrong-id', {}, concurrent());
      expect(bodyText(result)).toBe(
        'The function wrote a line to stdout that is not valid framing. Invalid function message: id must name an invocation in progress, not "someone-else:1".',
      );
      expect(bodyText(await bystander.result)).toBe(bodyText(result));
      await processEnded(before);
      expect(await pidOf(concurrent())).not.toBe(before);
    });
  });

  test('a process that exits while idle is replaced at the next invocation', async () => {
    const before = await pidOf();
    process.kill(before, 'SIGKILL');
    await endNoticed(before);
    expect(
      logs.find((line) => line.fields['pid'] === before && line.message.endsWith('ended'))?.fields,
    ).toMatchObject({ functionId, code: null, signal: 'SIGKILL' });
    expect(await pidOf()).not.toBe(before);
  });

  test('an idle process is retired after the idle time: its stdin closes and it exits', async () => {
    await runtime.close();
    start({ idleMs: 200 });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'canopy-persistent-'));
    try {
      const marker = path.join(dir, 'closed');
      const watched = spec({ STDIN_CLOSED_FILE: marker });
      const before = await pidOf(watched);
      await endNoticed(before);
      expect(await readFile(marker, 'utf8')).toBe('stdin closed');
      expect(logs).toContainEqual({
        level: 'info',
        fields: { functionId, pid: before, reason: 'idle' },
        message: 'persistent function process retired',
      });
      expect(await pidOf(watched)).not.toBe(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('closing the runtime closes every stdin; processes exit by themselves, or are killed', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'canopy-persistent-'));
    try {
      const marker = path.join(dir, 'closed');
      const polite = await pidOf(spec({ STDIN_CLOSED_FILE: marker }));
      const stubborn = await pidOf(
        spec({ IGNORE_STDIN_CLOSE: '1', IGNORE_SIGTERM: '1' }),
        testRunningTask().task.functionId,
      );
      await runtime.close();
      expect(await readFile(marker, 'utf8')).toBe('stdin closed');
      expect(await processHasEnded(polite)).toBe(true);
      expect(await processHasEnded(stubborn)).toBe(true);
      expect(bodyText(await invoke('pid'))).toBe('The node is stopping.');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('the node keeps at most as many processes as it may: the least recently used idle one goes', async () => {
    await runtime.close();
    start({ maxProcesses: 2 });
    const functions = [1, 2, 3].map(() => testRunningTask().task.functionId);
    const first = await pidOf(spec(), functions[0]);
    const second = await pidOf(spec(), functions[1]);
    expect(await pidOf(spec(), functions[0])).toBe(first);
    // A third function needs a place: the second function's process was used least recently.
    await pidOf(spec(), functions[2]);
    await processEnded(second);
    expect(await pidOf(spec(), functions[0])).toBe(first);
  });

  test('a command that does not exist is a 500 saying so, every time', async () => {
    const missing: PersistentRuntimeSpec = {
      kind: 'persistent',
      command: '/no/such/canopy-function',
    };
    for (let index = 0; index < 2; index++) {
      const result = await invoke('pid', {}, missing);
      expect(result.status).toBe(500);
      expect(bodyText(result)).toBe(
        `The function's command "/no/such/canopy-function" could not be started (ENOENT).`,
      );
    }
  });

  test('each process group is registered while its process runs', async () => {
    await runtime.close();
    const events: string[] = [];
    const groups: ProcessGroups = {
      add: (pgid) => events.push(`+${pgid}`),
      remove: (pgid) => events.push(`-${pgid}`),
    };
    start({ processGroups: groups });
    const pid = await pidOf();
    expect(events).toEqual([`+${pid}`]);
    await runtime.close();
    expect(events).toEqual([`+${pid}`, `-${pid}`]);
  });
});
