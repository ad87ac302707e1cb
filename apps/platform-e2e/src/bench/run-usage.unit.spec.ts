import type { ProcessSample } from './process-usage.js';
import { usageBetween } from './run-usage.js';
import type { PostgresBackendSample, UsageSnapshot } from './run-usage.js';

function sample(pid: number, command: string[], cpuSeconds: number, extra = {}): ProcessSample {
  return {
    pid,
    parentPid: 1,
    command,
    cpuSeconds,
    exitedChildrenCpuSeconds: 0,
    rssBytes: 100 * 1024 * 1024,
    nice: 0,
    wakeUps: 0,
    ...extra,
  };
}

function backend(
  pid: number,
  applicationName: string,
  cpuSeconds: number,
  wakeUps = 0,
): PostgresBackendSample {
  return { ...sample(pid, ['postgres'], cpuSeconds, { wakeUps }), applicationName };
}

function snapshot(
  atMs: number,
  processes: ProcessSample[],
  backends: PostgresBackendSample[],
  benchSeconds: number,
  benchWakeUps = 0,
): UsageSnapshot {
  return {
    atMs,
    processes,
    postgresBackends: backends,
    connections: [],
    probeReadings: new Map(),
    benchCpu: { user: benchSeconds * 1e6, system: 0 },
    benchWakeUps,
  };
}

const scheduler = ['node', '/repo/apps/scheduler/dist/main.js'];
const agent = ['node', '/repo/apps/node-agent/dist/main.js', '--node-id', 'n1'];

describe('usageBetween', () => {
  test('gives each process its CPU per task, functions summed under their line, PostgreSQL by client, and the total', () => {
    const before = snapshot(
      0,
      [
        sample(10, scheduler, 2),
        sample(20, agent, 1, { exitedChildrenCpuSeconds: 3 }),
        // A persistent function: a child of the agent, started before the run.
        sample(21, ['python3', 'fn.py'], 0.5, { parentPid: 20 }),
      ],
      [
        backend(30, 'canopy-scheduler', 5),
        backend(31, 'canopy-scheduler', 1),
        backend(32, 'canopy-projector', 2),
        backend(33, '', 0),
      ],
      1,
    );
    const after = snapshot(
      10_000,
      [
        sample(10, scheduler, 4),
        sample(20, agent, 2, { exitedChildrenCpuSeconds: 3.5 }),
        sample(21, ['python3', 'fn.py'], 1, { parentPid: 20 }),
        // Started during the run: all its time counts.
        sample(22, ['python3', 'fn.py'], 0.25, { parentPid: 20 }),
      ],
      [
        backend(30, 'canopy-scheduler', 6),
        backend(31, 'canopy-scheduler', 1.5),
        backend(32, 'canopy-projector', 2.25),
        backend(33, '', 0.25),
        // Connected during the run: all its time counts.
        backend(34, 'canopy-projector', 0.25),
      ],
      1.5,
    );

    const usage = usageBetween(before, after, 1000);

    const figures = Object.fromEntries(
      usage.processes.map((process) => [
        process.name,
        [process.cpuSeconds, process.coreShare, process.cpuMsPerTask],
      ]),
    );
    expect(figures).toEqual({
      scheduler: [2, 20, 2],
      'node-agent n1': [1, 10, 1],
      // 0.5 s of exited children, 0.5 s of the one running on, 0.25 s of the one started.
      'function processes (children of node agents)': [1.25, 12.5, 1.25],
      'PostgreSQL backends of canopy-projector (2)': [0.5, 5, 0.5],
      'PostgreSQL backends of canopy-scheduler (2)': [1.5, 15, 1.5],
      'PostgreSQL backends of unnamed clients (1)': [0.25, 2.5, 0.25],
      'benchmark (clients, this process)': [0.5, 5, 0.5],
    });
    expect(usage.total.cpuSeconds).toBeCloseTo(7);
    expect(usage.total.coreShare).toBeCloseTo(70);
    expect(usage.total.cpuMsPerTask).toBeCloseTo(7);
  });

  test('counts the wake-ups of each process per task, backends by client, and their total', () => {
    const before = snapshot(
      0,
      [
        sample(10, scheduler, 0, { wakeUps: 5_000 }),
        sample(20, agent, 0, { wakeUps: 100 }),
        sample(21, ['python3', 'fn.py'], 0, { parentPid: 20, wakeUps: 40 }),
      ],
      [backend(30, 'canopy-scheduler', 0, 700), backend(31, 'canopy-scheduler', 0, 300)],
      0,
      9_000,
    );
    const after = snapshot(
      10_000,
      [
        sample(10, scheduler, 0, { wakeUps: 9_000 }),
        sample(20, agent, 0, { wakeUps: 2_100 }),
        sample(21, ['python3', 'fn.py'], 0, { parentPid: 20, wakeUps: 1_040 }),
        // Started during the run: all its wake-ups count.
        sample(22, ['python3', 'fn.py'], 0, { parentPid: 20, wakeUps: 500 }),
      ],
      [
        backend(30, 'canopy-scheduler', 0, 1_700),
        backend(31, 'canopy-scheduler', 0, 1_300),
        backend(32, 'canopy-scheduler', 0, 1_000),
      ],
      0,
      12_000,
    );

    const usage = usageBetween(before, after, 1000);

    expect(
      Object.fromEntries(usage.processes.map((figures) => [figures.name, figures.wakeUpsPerTask])),
    ).toEqual({
      scheduler: 4,
      'node-agent n1': 2,
      'function processes (children of node agents)': 1.5,
      'PostgreSQL backends of canopy-scheduler (3)': 3,
      'benchmark (clients, this process)': 3,
    });
    expect(usage.total.wakeUpsPerTask).toBeCloseTo(13.5);
  });
});
