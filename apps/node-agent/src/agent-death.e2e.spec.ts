import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testNatsUrl } from '@canopy/local-services/testing';
import { ScriptedScheduler, sampleAssignment, uniqueNodeId } from '@canopy/node-sdk/testing';
import { processEnded } from './testing/process-table.js';

// The agent runs as it is deployed: its build (`npm run build` first), a real process.
const here = path.dirname(fileURLToPath(import.meta.url));
const workspaceRoot = path.resolve(here, '../../..');
const builtMain = path.join(here, '../dist/main.js');

// A function that starts a child in its process group, writes both pids, and waits: it never
// reads stdin, never answers, and ignores SIGTERM, so only the agent's reaper can end it. The
// pid file is written whole (renamed into place) so that the test never reads half of it.
const SLEEPER = `trap '' TERM; sleep 30 & echo "$$ $!" > "$0.part" && mv "$0.part" "$0"; wait`;

async function pidsIn(file: string, timeoutMs = 20_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} was not written`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return (await readFile(file, 'utf8')).trim().split(' ').map(Number);
}

describe('node agent killed with SIGKILL (the built agent, a real process)', () => {
  let agent: ChildProcess | undefined;
  let scheduler: ScriptedScheduler | undefined;
  let dir = '';

  beforeAll(() => {
    if (!existsSync(builtMain)) {
      throw new Error(
        `${builtMain} does not exist: run npm run build (from the repository root) first`,
      );
    }
  });

  afterEach(async () => {
    if (agent !== undefined && agent.exitCode === null && agent.signalCode === null) {
      agent.kill('SIGKILL');
    }
    agent = undefined;
    await scheduler?.close();
    scheduler = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  test('leaves no function process running, per-invocation or persistent', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'canopy-agent-death-'));
    const nodeId = uniqueNodeId('agent-death');
    scheduler = await ScriptedScheduler.start({ servers: testNatsUrl(), nodeId });
    const child = spawn(process.execPath, [builtMain, '--node-id', nodeId, '--slots', '2'], {
      cwd: workspaceRoot,
      env: {
        PATH: process.env['PATH'] ?? '/usr/bin:/bin',
        NATS_URL: testNatsUrl(),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    agent = child;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await scheduler.waitFor('announce', () => true, 20_000);

    const perInvocationPids = path.join(dir, 'process.pids');
    const persistentPids = path.join(dir, 'persistent.pids');
    for (const [kind, file] of [
      ['process', perInvocationPids],
      ['persistent', persistentPids],
    ] as const) {
      const assignment = sampleAssignment({
        runtime: { kind, command: 'sh', args: ['-c', SLEEPER, file] },
        timeout: 60,
      });
      expect(await scheduler.assign(assignment)).toEqual({ accepted: true });
    }
    const functionPids = [...(await pidsIn(perInvocationPids)), ...(await pidsIn(persistentPids))];
    expect(functionPids).toHaveLength(4);

    child.kill('SIGKILL');
    await exited;
    for (const pid of functionPids) await processEnded(pid, 20_000);
  });
});
