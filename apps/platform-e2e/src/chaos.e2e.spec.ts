import { chaosRunForFile } from './testing/chaos-for-file.js';

// The short chaos run: the replicated stack (2 schedulers, 2 projectors, 2 gateways, 3 node agents,
// 3 nats-servers, its own PostgreSQL) under a light steady load, while the leading scheduler is
// killed, a nats-server is killed, and the new leader is paused past its lease. After each: nothing
// acknowledged lost or failed, runs within attempts, no node over its slots, no stale-epoch
// assignment, no live node lost, read models equal to a fold of the store. No timing is asserted.

describe('the short chaos run', () => {
  const run = chaosRunForFile('chaos-e2e', ['leader-kill', 'nats-kill', 'leader-pause'], 15_000);

  test.each(['leader-kill', 'nats-kill', 'leader-pause'])(
    'under load, %s loses, fails and double-runs nothing',
    (fault) => {
      const report = run.reports().find((candidate) => candidate.fault === fault);
      const context = run.context();
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
