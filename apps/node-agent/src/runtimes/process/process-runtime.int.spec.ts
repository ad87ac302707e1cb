import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ProcessRuntimeSpec } from '@canopy/contracts';
import type { TaskResult } from '@canopy/node-sdk';
import { testRunningTask } from '@canopy/node-sdk/testing';
import type { TestRunningTaskOptions } from '@canopy/node-sdk/testing';
import type { FunctionLimits } from '../function-limits.js';
import type { ProcessGroups } from '../process-groups.js';
import { untrackedProcessGroups } from '../process-groups.js';
import { runProcess } from './process-runtime.js';
import type { ProcessRuntimeSettings } from './process-runtime.js';

// Functions in these tests are small Node.js scripts run with this very node binary.
const node = (script: string, extra: Partial<ProcessRuntimeSpec> = {}): ProcessRuntimeSpec => ({
  kind: 'process',
  command: process.execPath,
  args: ['-e', script],
  ...extra,
});

const limits: FunctionLimits = { maxResponseBytes: 1_000, stderrTailBytes: 64, killGraceMs: 300 };
const inheritedEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
let tempDir = '';
let settings: ProcessRuntimeSettings;

beforeAll(async () => {
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'canopy-process-runtime-'));
  settings = { limits, inheritedEnv, tempDir, processGroups: untrackedProcessGroups };
});

afterAll(async () => {
  await rm(tempDir, { recursive: true, force: true });
});

function run(spec: ProcessRuntimeSpec, options: TestRunningTaskOptions = {}): Promise<TaskResult> {
  return runProcess(spec, testRunningTask(options).task, settings);
}

const bodyText = (result: TaskResult): string => Buffer.from(result.body ?? '').toString('utf8');

describe('process runtime (real child processes)', () => {
  test('stdin is the request body, CANOPY_* variables describe the task, stdout is a 200 text body', async () => {
    const script = `
      let input = '';
      process.stdin.on('data', (chunk) => (input += chunk)).on('end', () => {
        const names = Object.keys(process.env).sort();
        const canopy = Object.fromEntries(names.filter((n) => n.startsWith('CANOPY_')).map((n) => [n, process.env[n]]));
        process.stdout.write(JSON.stringify({ input, names, canopy, mode: process.env.MODE, argv: process.argv.slice(1) }));
      });`;
    const { task } = testRunningTask({
      attempt: 2,
      request: { query: 'x=1&y=%20', contentType: 'application/json', body: '{"n":1}' },
    });
    const result = await runProcess(
      node(script, { args: ['-e', script, 'first', 'two words'], env: { MODE: 'fast' } }),
      task,
      settings,
    );
    expect(result).toMatchObject({
      status: 200,
      contentType: 'text/plain; charset=utf-8',
      headers: {},
    });
    const seen = JSON.parse(bodyText(result)) as Record<string, unknown>;
    expect(seen).toEqual({
      input: '{"n":1}',
      names: [
        'CANOPY_ATTEMPT',
        'CANOPY_CONTENT_TYPE',
        'CANOPY_FUNCTION_ID',
        'CANOPY_METHOD',
        'CANOPY_QUERY',
        'CANOPY_TASK_ID',
        'MODE',
        'PATH',
      ],
      canopy: {
        CANOPY_TASK_ID: task.taskId,
        CANOPY_ATTEMPT: '2',
        CANOPY_FUNCTION_ID: task.functionId,
        CANOPY_QUERY: 'x=1&y=%20',
        CANOPY_CONTENT_TYPE: 'application/json',
        CANOPY_METHOD: 'POST',
      },
      mode: 'fast',
      argv: ['first', 'two words'],
    });
  });

  test('bytes on stdout come back unchanged', async () => {
    const result = await run(node('process.stdout.write(Buffer.from([0, 255, 10, 128]))'));
    expect(Buffer.from(result.body ?? '')).toEqual(Buffer.from([0, 255, 10, 128]));
  });

  test('a function that does not read a large body still answers', async () => {
    const result = await run(node("process.stdout.write('ignored the input')"), {
      request: { body: Buffer.alloc(4 * 1024 * 1024, 1) },
    });
    expect(result.status).toBe(200);
    expect(bodyText(result)).toBe('ignored the input');
  });

  test('with an envelope, stdout describes the whole response', async () => {
    const envelope = {
      status: 202,
      contentType: 'application/octet-stream',
      headers: { 'X-Job': '9', 'Transfer-Encoding': 'chunked' },
      body: Buffer.from([1, 2, 3]).toString('base64'),
      bodyEncoding: 'base64',
    };
    const result = await run(
      node(`process.stdout.write(${JSON.stringify(JSON.stringify(envelope))})`, { envelope: true }),
    );
    expect(result).toEqual({
      status: 202,
      contentType: 'application/octet-stream',
      headers: { 'x-job': '9' },
      body: Buffer.from([1, 2, 3]),
    });
  });

  test('an invalid envelope is a 500 naming the problem', async () => {
    const result = await run(node(`process.stdout.write('{"status": 200}')`, { envelope: true }));
    expect(result.status).toBe(500);
    expect(bodyText(result)).toBe(
      "The function's stdout is not a valid envelope. Invalid process envelope: body is required.",
    );
    const notJson = await run(node(`process.stdout.write('hello')`, { envelope: true }));
    expect(bodyText(notJson)).toContain('must be a UTF-8 JSON document');
  });

  test('a non-zero exit is a 500 whose body is the tail of stderr; progress lines report progress', async () => {
    const progress: number[] = [];
    const script = `
      process.stderr.write('::progress 10\\n');
      for (let i = 0; i < 50; i++) process.stderr.write('noise line ' + i + '\\n');
      process.stderr.write('::progress 55\\nfatal: it broke\\n');
      process.stdout.write('partial output');
      process.exitCode = 3;`;
    const result = await run(node(script), { onProgress: (percent) => progress.push(percent) });
    expect(result).toMatchObject({ status: 500, contentType: 'text/plain; charset=utf-8' });
    const tail = bodyText(result);
    expect(tail).toHaveLength(limits.stderrTailBytes);
    expect(tail.endsWith('noise line 49\nfatal: it broke\n')).toBe(true);
    expect(tail).not.toContain('::progress');
    expect(progress).toEqual([10, 55]);
  });

  test('a non-zero exit with a silent stderr says how it ended', async () => {
    const result = await run(node('process.exit(7)'));
    expect(bodyText(result)).toBe('The function exited with code 7 and wrote nothing to stderr.');
    const killed = await run(node("process.kill(process.pid, 'SIGKILL')"));
    expect(bodyText(killed)).toBe(
      'The function was killed by SIGKILL and wrote nothing to stderr.',
    );
  });

  test('too much stdout is a 500, and the process is stopped', async () => {
    const script = "setInterval(() => process.stdout.write('x'.repeat(400)), 1);";
    const result = await run(node(script));
    expect(result.status).toBe(500);
    expect(bodyText(result)).toBe(
      'The function wrote more than 1000 bytes to stdout, the most a response may have.',
    );
  });

  test('a command that does not exist is a 500 saying so', async () => {
    const result = await run({ kind: 'process', command: '/no/such/canopy-function' });
    expect(result.status).toBe(500);
    expect(bodyText(result)).toBe(
      `The function's command "/no/such/canopy-function" could not be started (ENOENT).`,
    );
  });

  test('an abort stops the process and what it started, with SIGKILL if SIGTERM is ignored', async () => {
    // The function ignores SIGTERM and leaves a child holding stdout open; only killing the
    // whole process group lets stdout close, so the run can end at all.
    const script = `
      const { spawn } = require('node:child_process');
      spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'inherit' });
      process.on('SIGTERM', () => process.stderr.write('ignoring SIGTERM\\n'));
      process.stderr.write('::progress 1\\n');
      setInterval(() => {}, 1000);`;
    let started: () => void = () => undefined;
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const handle = testRunningTask({ onProgress: () => started() });
    const result = runProcess(node(script), handle.task, settings);
    await running;
    handle.abort({ kind: 'timeout', timeoutSeconds: 1 });
    expect((await result).status).toBe(500);
  });

  test('a task aborted before its process starts still ends', async () => {
    const handle = testRunningTask();
    handle.abort();
    const result = await runProcess(node('setInterval(() => {}, 1000)'), handle.task, settings);
    expect(bodyText(result)).toBe('The function was stopped.');
  });

  test('a body of any size reaches stdin whole, and no file is left behind', async () => {
    const body = Buffer.alloc(3 * 1024 * 1024 + 7);
    for (let index = 0; index < body.length; index++) body[index] = (index * 31) % 256;
    const script = `
      const hash = require('node:crypto').createHash('sha256');
      let size = 0;
      process.stdin.on('data', (c) => { size += c.length; hash.update(c); })
        .on('end', () => process.stdout.write(size + ' ' + hash.digest('hex')));`;
    const result = await run(node(script), { request: { body } });
    expect(bodyText(result)).toBe(
      `${body.length} ${createHash('sha256').update(body).digest('hex')}`,
    );
    const empty = await run(node(script), { request: { body: '' } });
    expect(bodyText(empty)).toBe(`0 ${createHash('sha256').digest('hex')}`);
    expect(await readdir(tempDir)).toEqual([]);
  });

  test('invocations started together all end, with and without bodies', async () => {
    // A child that ends while the runtime still awaits something of its own must be heard all the
    // same: many short invocations at once make that likely.
    for (let round = 0; round < 5; round++) {
      const bodies = Array.from({ length: 8 }, (_, index) =>
        index % 2 === 0 ? '' : `body ${index}`,
      );
      const results = await Promise.all(
        bodies.map((body) => run({ kind: 'process', command: 'cat' }, { request: { body } })),
      );
      expect(results.map(bodyText)).toEqual(bodies);
    }
  });

  test('the process group is registered while the process runs, and only then', async () => {
    const events: string[] = [];
    const groups: ProcessGroups = {
      add: (pgid) => events.push(`+${pgid}`),
      remove: (pgid) => events.push(`-${pgid}`),
    };
    const result = await runProcess(
      node('process.stdout.write(String(process.pid))'),
      testRunningTask().task,
      {
        ...settings,
        processGroups: groups,
      },
    );
    const pid = bodyText(result);
    expect(events).toEqual([`+${pid}`, `-${pid}`]);
  });

  describe('a bash function with a ~/.bashrc', () => {
    let home = '';
    let marker = '';

    beforeEach(async () => {
      home = await mkdtemp(path.join(os.tmpdir(), 'canopy-home-'));
      marker = path.join(home, 'bashrc-ran');
      await writeFile(path.join(home, '.bashrc'), `echo ran > '${marker}'\n`);
    });

    afterEach(async () => {
      await rm(home, { recursive: true, force: true });
    });

    const bash: ProcessRuntimeSpec = { kind: 'process', command: 'bash', args: ['-c', 'cat'] };
    const bashEnv = (): Record<string, string> => ({ ...inheritedEnv, HOME: home });

    test('bash -c would run it when its stdin is a socket (what Node calls a pipe)', async () => {
      // Shows that the marker detects the start-up file: bash takes a socket on stdin for an
      // rsh/ssh session and reads ~/.bashrc.
      const child = spawn('bash', ['-c', 'cat'], {
        env: bashEnv(),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      child.stdin.end('x');
      await new Promise((resolve) => child.on('close', resolve));
      expect(existsSync(marker)).toBe(true);
    });

    test.each([
      ['a body', 'hello from stdin'],
      ['no body', ''],
    ])('the runtime starts it without running ~/.bashrc, with %s', async (_name, body) => {
      const result = await runProcess(bash, testRunningTask({ request: { body } }).task, {
        ...settings,
        inheritedEnv: bashEnv(),
      });
      expect(result.status).toBe(200);
      expect(bodyText(result)).toBe(body);
      expect(existsSync(marker)).toBe(false);
    });
  });
});
