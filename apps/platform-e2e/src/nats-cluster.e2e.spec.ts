import { chaosRunForFile } from './testing/chaos-for-file.js';

// The reference deployment's NATS: three servers routed to each other with JWT authentication,
// every process given all three. Each server in turn is killed (SIGKILL) under load and started
// again: no acknowledged task is lost or failed, and no live node is declared lost.

const run = chaosRunForFile('nats-cluster-e2e', ['nats-kill', 'nats-kill', 'nats-kill'], 10_000);

test('killing any one nats-server under load loses no acknowledged task and declares no live node lost', () => {
  const reports = run.reports();
  const context = run.context();
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
