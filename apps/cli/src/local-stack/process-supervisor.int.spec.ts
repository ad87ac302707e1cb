import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { eventually } from '@canopy/async-testing';
import { pino } from 'pino';
import { ProcessSupervisor } from './process-supervisor.js';

// Real child processes, a fast policy: what `canopy start` does when a service dies.
const fastPolicy = {
  initialRestartDelayMs: 20,
  maxRestartDelayMs: 100,
  crashLoopDeaths: 3,
  crashLoopWindowMs: 60_000,
  healthyAfterMs: 60_000,
};

let directory: string;
let lines: { msg: string; service?: string }[];
let supervisor: ProcessSupervisor;

function logger() {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as { msg: string });
      done();
    },
  });
  return pino({ level: 'info' }, sink);
}

async function script(name: string, source: string): Promise<string> {
  const file = path.join(directory, `${name}.mjs`);
  await writeFile(file, source);
  return file;
}

beforeEach(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'canopy-supervisor-'));
  lines = [];
});

afterEach(async () => {
  await supervisor.stop();
  await rm(directory, { recursive: true, force: true });
});

describe('the process supervisor', () => {
  test('a service that dies is started again, with a line saying how it died', async () => {
    const marker = path.join(directory, 'died-once');
    // Dies the first time (code 7), then stays up.
    const entryPoint = await script(
      'flaky',
      `import { existsSync, writeFileSync } from 'node:fs';
       if (!existsSync(${JSON.stringify(marker)})) { writeFileSync(${JSON.stringify(marker)}, ''); process.exit(7); }
       setInterval(() => {}, 1000);`,
    );
    supervisor = new ProcessSupervisor(logger(), fastPolicy);
    supervisor.start({ name: 'flaky', app: 'unused', env: {}, entryPoint });
    await eventually(() =>
      expect(lines.map((line) => line.msg)).toContain(
        'flaky exited with code 7; starting it again',
      ),
    );
    await eventually(() => expect(supervisor.pidOf('flaky')).toBeDefined());
    const pid = supervisor.pidOf('flaky') ?? 0;
    // Still the same process a moment later: it stays up now.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(supervisor.pidOf('flaky')).toBe(pid);
    let given = false;
    void supervisor.gaveUp.then(() => (given = true));
    await supervisor.stop();
    expect(given).toBe(false);
    expect(() => process.kill(pid, 0)).toThrow();
  });

  test('a service that keeps dying is given up on, and the supervisor says so', async () => {
    const entryPoint = await script('doomed', 'process.exit(3);');
    supervisor = new ProcessSupervisor(logger(), fastPolicy);
    supervisor.start({ name: 'doomed', app: 'unused', env: {}, entryPoint });
    expect(await supervisor.gaveUp).toBe('doomed');
    const restarts = lines.filter(
      (line) => line.msg === 'doomed exited with code 3; starting it again',
    );
    expect(restarts).toHaveLength(2);
    expect(lines.at(-1)?.msg).toMatch(/^doomed exited with code 3 and keeps dying/);
  });

  test('a killed service is started again: the signal is named', async () => {
    const entryPoint = await script('steady', 'setInterval(() => {}, 1000);');
    supervisor = new ProcessSupervisor(logger(), fastPolicy);
    supervisor.start({ name: 'steady', app: 'unused', env: {}, entryPoint });
    await eventually(() => expect(supervisor.pidOf('steady')).toBeDefined());
    const first = supervisor.pidOf('steady') ?? 0;
    process.kill(first, 'SIGKILL');
    await eventually(() => {
      const next = supervisor.pidOf('steady');
      expect(next).toBeDefined();
      expect(next).not.toBe(first);
    });
    expect(lines.map((line) => line.msg)).toContain(
      'steady was killed by SIGKILL; starting it again',
    );
  });
});
