import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatChaosTable } from './chaos/chaos-report.js';
import { runChaos } from './chaos/chaos-run.js';
import type { FaultReport } from './chaos/chaos-run.js';

// The short chaos run: the replicated stack (2 schedulers, 2 projectors, 2 gateways, 3 node agents,
// 3 nats-servers, its own PostgreSQL) under a light steady load, while the leading scheduler is
// killed, a nats-server is killed, and the new leader is paused past its lease. After each: nothing
// acknowledged lost or failed, runs within attempts, no node over its slots, no stale-epoch
// assignment, no live node lost, read models equal to a fold of the store. No timing is asserted.

describe('the short chaos run', () => {
  let reports: FaultReport[] = [];
  let logDir = '';
  const lines: string[] = [];

  beforeAll(async () => {
    logDir = await mkdtemp(path.join(tmpdir(), 'canopy-chaos-e2e-'));
    reports = await runChaos({
      faults: ['leader-kill', 'nats-kill', 'leader-pause'],
      ratePerSecond: 4,
      clients: 4,
      warmMs: 3_000,
      faultPhaseMs: 15_000,
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

  test.each(['leader-kill', 'nats-kill', 'leader-pause'])(
    'under load, %s loses, fails and double-runs nothing',
    (fault) => {
      const report = reports.find((candidate) => candidate.fault === fault);
      const context = `\n${formatChaosTable(reports)}\n\n${lines.join('\n')}`;
      expect(report).toBeDefined();
      if (report === undefined) return;
      expect({ fault, violations: report.judgement.violations, context }).toEqual({
        fault,
        violations: {
          lost: [],
          unfinished: [],
          failed: [],
          wrongResult: [],
          moreRunsThanAttempts: [],
          attemptRanTwice: [],
          overbooked: [],
          staleEpochAssignments: [],
          liveNodesLost: [],
        },
        context,
      });
      expect(report.readModels).toBe('equal');
      expect(report.acknowledged).toBeGreaterThan(0);
      if (fault !== 'nats-kill') expect(report.failoverMs).toBeDefined();
    },
  );
});
