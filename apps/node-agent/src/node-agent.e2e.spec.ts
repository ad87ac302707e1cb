import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { eventually } from '@canopy/async-testing';
import { testNatsUrl } from '@canopy/local-services/testing';
import { createNatsAuthority, issueNodeCredentials } from '@canopy/nats-auth';
import { startSecuredPrivateNats } from '@canopy/nats-auth/testing';
import { ScriptedScheduler, sampleAssignment, uniqueNodeId } from '@canopy/node-sdk/testing';
import { processEnded } from './testing/process-table.js';

// The agent runs as a real process from its TypeScript sources, through the same Node hooks Jest's
// global setup uses (no build needed), exactly as `node dist/main.js` would run after a build.
const here = path.dirname(fileURLToPath(import.meta.url));
const workspaceRoot = path.resolve(here, '../../..');
const sourceHooks = pathToFileURL(
  path.join(workspaceRoot, 'tools/jest/typescript-source-hooks.js'),
);
const registerHooks = `data:text/javascript,${encodeURIComponent(
  `import { register } from 'node:module'; register(${JSON.stringify(sourceHooks.href)});`,
)}`;
const main = path.join(here, 'main.ts');

interface AgentProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startAgent(args: string[], env: Record<string, string> = {}): AgentProcess {
  const child = spawn(process.execPath, ['--import', registerHooks, main, ...args], {
    cwd: workspaceRoot,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => output, exited };
}

const text = (base64: string): string => Buffer.from(base64, 'base64').toString('utf8');

describe('node agent (a real process)', () => {
  let agent: AgentProcess | undefined;
  let scheduler: ScriptedScheduler | undefined;

  afterEach(async () => {
    if (agent !== undefined && agent.child.exitCode === null && agent.child.signalCode === null) {
      agent.child.kill('SIGKILL');
      await agent.exited;
    }
    agent = undefined;
    await scheduler?.close();
    scheduler = undefined;
  });

  test('--help prints the usage and exits 0; a bad option exits 2 naming it', async () => {
    agent = startAgent(['--help']);
    expect(await agent.exited).toEqual({ code: 0, signal: null });
    expect(agent.output()).toContain('Usage: node-agent [options]');

    agent = startAgent(['--slots', 'lots']);
    expect(await agent.exited).toEqual({ code: 2, signal: null });
    expect(agent.output()).toContain('--slots must be a whole number of at least 1, got "lots"');
  });

  test('announces its capabilities, runs process tasks, and on SIGTERM says goodbye and exits 0', async () => {
    const nodeId = uniqueNodeId('agent-e2e');
    scheduler = await ScriptedScheduler.start({ servers: testNatsUrl(), nodeId });
    agent = startAgent(
      [
        '--node-id',
        nodeId,
        '--cpu-count',
        '3',
        '--mem-size',
        '512',
        '--network-latency',
        '7',
        '--privileged',
        '--slots',
        '2',
      ],
      { NATS_URL: testNatsUrl() },
    );
    const announcement = await scheduler.waitFor('announce', () => true, 20_000);
    expect(announcement).toEqual({
      nodeId,
      capabilities: { cpuCount: 3, memSize: 512, networkLatency: 7, privileged: true },
      slots: 2,
      runningTasks: [],
      agent: 'canopy-node-agent/0.1.0',
    });

    const uppercase = sampleAssignment({
      runtime: {
        kind: 'process',
        command: process.execPath,
        args: [
          '-e',
          `process.stderr.write('::progress 50\\n');
           let input = '';
           process.stdin.on('data', (c) => (input += c)).on('end', () =>
             process.stdout.write(input.toUpperCase() + ' ' + process.env.CANOPY_QUERY));`,
        ],
      },
      request: { query: 'q=1', contentType: 'text/plain', body: 'secret body text' },
    });
    expect(await scheduler.assign(uppercase)).toEqual({ accepted: true });
    const result = await scheduler.waitFor(
      'result',
      (report) => report.taskId === uppercase.taskId,
    );
    expect(result.response).toMatchObject({
      status: 200,
      contentType: 'text/plain; charset=utf-8',
    });
    expect(text(result.response.body)).toBe('SECRET BODY TEXT q=1');
    expect(await scheduler.waitFor('progress')).toMatchObject({
      taskId: uppercase.taskId,
      progress: 50,
    });

    const unknownRuntime = sampleAssignment({ runtime: { kind: 'lambda' } });
    await scheduler.assign(unknownRuntime);
    const refused = await scheduler.waitFor(
      'result',
      (report) => report.taskId === unknownRuntime.taskId,
    );
    expect(refused.response.status).toBe(500);
    expect(text(refused.response.body)).toContain(
      'kind must be one of "process", "persistent", "http"',
    );

    agent.child.kill('SIGTERM');
    expect(await agent.exited).toEqual({ code: 0, signal: null });
    expect((await scheduler.waitFor('goodbye')).nodeId).toBe(nodeId);
    expect(scheduler.invalidReports).toEqual([]);

    const logs = agent.output();
    expect(logs).toContain(uppercase.taskId);
    expect(logs).not.toMatch(/secret body text/i);
    for (const line of logs.trim().split('\n'))
      expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  test('runs persistent tasks one after another in one process, and closes its stdin on SIGTERM', async () => {
    const nodeId = uniqueNodeId('agent-persistent');
    scheduler = await ScriptedScheduler.start({ servers: testNatsUrl(), nodeId });
    agent = startAgent(['--node-id', nodeId, '--slots', '2'], { NATS_URL: testNatsUrl() });
    await scheduler.waitFor('announce', () => true, 20_000);

    // Answers each invocation with its pid and the request body, upper-cased.
    const runtime = {
      kind: 'persistent',
      command: process.execPath,
      args: [
        '-e',
        `require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
           const { id, body } = JSON.parse(line);
           const text = process.pid + ' ' + Buffer.from(body, 'base64').toString().toUpperCase();
           process.stdout.write(JSON.stringify({ id, progress: 50 }) + '\\n');
           process.stdout.write(JSON.stringify({ id, body: Buffer.from(text).toString('base64') }) + '\\n');
         });`,
      ],
    };
    const functionId = sampleAssignment().functionId;
    const answers: string[] = [];
    for (const body of ['first', 'second']) {
      const assignment = sampleAssignment({ functionId, runtime, request: { body } });
      expect(await scheduler.assign(assignment)).toEqual({ accepted: true });
      const result = await scheduler.waitFor(
        'result',
        (report) => report.taskId === assignment.taskId,
      );
      expect(result.response).toMatchObject({ status: 200, contentType: null });
      answers.push(text(result.response.body));
    }
    const [pid] = (answers[0] ?? '').split(' ');
    expect(answers).toEqual([`${pid} FIRST`, `${pid} SECOND`]);

    agent.child.kill('SIGTERM');
    expect(await agent.exited).toEqual({ code: 0, signal: null });
    await processEnded(Number(pid));
    expect(agent.output()).toContain('"reason":"the node is stopping"');
  });

  test('waits for a NATS server it cannot reach yet, and a SIGTERM meanwhile stops it with 0', async () => {
    agent = startAgent([
      '--nats-url',
      'nats://127.0.0.1:1',
      '--node-id',
      uniqueNodeId('agent-wait'),
    ]);
    await eventually(() => agent?.output().includes('node agent starting'), 45_000);
    // Several refused attempts later it is still there, waiting (before, it exited 1 at the first).
    await delay(1_000);
    expect(agent.child.exitCode).toBeNull();
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toEqual({ code: 0, signal: null });
    expect(agent.output()).toContain('"msg":"stopped"');
    expect(agent.output()).not.toContain('the node could not start');
  });

  test('exits 1 when the NATS server refuses its credentials', async () => {
    const nats = await startSecuredPrivateNats();
    try {
      const nodeId = uniqueNodeId('agent-stranger');
      // Credentials of the right node, signed by another authority: the server does not trust them.
      const strangers = await createNatsAuthority();
      const credsFile = path.join(nats.dataDir, 'stranger.creds');
      await writeFile(credsFile, (await issueNodeCredentials(strangers, nodeId)).creds, {
        mode: 0o600,
      });
      agent = startAgent(['--nats-url', nats.url, '--nats-creds', credsFile, '--node-id', nodeId]);
      expect(await agent.exited).toEqual({ code: 1, signal: null });
      expect(agent.output()).toContain('the node could not start');
      expect(agent.output()).toMatch(/Authorization Violation/i);
    } finally {
      await nats.stop();
    }
  });
});
