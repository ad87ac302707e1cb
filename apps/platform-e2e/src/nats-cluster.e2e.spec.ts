import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatChaosTable } from './chaos/chaos-report.js';
import { runChaos } from './chaos/chaos-run.js';
import type { FaultReport } from './chaos/chaos-run.js';

// The reference deployment's NATS: three servers routed to each other with JWT authentication,
// every process given all three. Each server in turn is killed (SIGKILL) under load and started
// again: no acknowledged task is lost or failed, and no live node is declared lost.

let reports: FaultReport[] = [];
let logDir = '';
const lines: string[] = [];

beforeAll(async () => {
  logDir = await mkdtemp(path.join(tmpdir(), 'canopy-nats-cluster-e2e-'));
  reports = await runChaos({
    faults: ['nats-kill', 'nats-kill', 'nats-kill'],
    ratePerSecond: 4,
    clients: 4,
    warmMs: 3_000,
    faultPhaseMs: 10_000,
    downMs: 2_000,
    nodes: 3,
    slots: 4,
    logDir,
    progress: (line) => lines.push(line),
  });
}, 900_000);

afterAll(async () => {
  await rm(logDir, { recursive: true, force: true });
});

test('killing any one nats-server under load loses no acknowledged task and declares no live node lost', () => {
  const context = `\n${formatChaosTable(reports)}\n\n${lines.join('\n')}`;
  expect(reports.map((report) => report.target)).toEqual([
    'nats-server 1',
    'nats-server 2',
    'nats-server 3',
  ]);
  for (const report of reports) {
    const { lost, unfinished, failed, liveNodesLost } = report.judgement.violations;
    expect({ target: report.target, lost, unfinished, failed, liveNodesLost, context }).toEqual({
      target: report.target,
      lost: [],
      unfinished: [],
      failed: [],
      liveNodesLost: [],
      context,
    });
    expect(report.judgement.count).toBe(0);
    expect(report.acknowledged).toBeGreaterThan(0);
  }
});
