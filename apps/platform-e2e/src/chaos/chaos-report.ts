import { formatTable } from '../bench/report-tables.js';
import type { FaultReport } from './chaos-run.js';
import { describeViolations } from './invariants.js';

// The chaos run's table: one row per fault, what must hold and how long recovery took.

/** A fault's violations, the read models' mismatch included. */
export function violationCount(report: FaultReport): number {
  return report.judgement.count + (report.readModels === 'equal' ? 0 : 1);
}

const seconds = (ms: number | undefined): string =>
  ms === undefined ? '-' : (ms / 1000).toFixed(1);

export function formatChaosTable(reports: readonly FaultReport[]): string {
  const header = [
    'fault',
    'acked',
    'refused',
    'lost',
    'failed',
    'runs/task',
    'over slots',
    'read models',
    'failover s',
    'dispatch back s',
    'last refusal s',
    'violations',
  ];
  const rows = reports.map((report) => {
    const { violations, maxRunsPerTask } = report.judgement;
    return [
      report.fault,
      `${report.acknowledged}/${report.issued}`,
      String(report.refused),
      String(violations.lost.length),
      String(violations.failed.length),
      `${maxRunsPerTask}${violations.moreRunsThanAttempts.length + violations.attemptRanTwice.length > 0 ? ' !' : ''}`,
      String(violations.overbooked.length),
      report.readModels,
      seconds(report.failoverMs),
      seconds(report.dispatchBackMs),
      seconds(report.lastRefusalAfterBackMs),
      describeViolations(violations) + (report.readModels === 'equal' ? '' : '; read models'),
    ];
  });
  const notes = reports
    .filter((report) => report.refused > 0)
    .map((report) => `  ${report.fault} (${report.target}): refused ${report.refusalKinds}`);
  return [
    formatTable(header, rows),
    '',
    'refused: POSTs not answered 201 (503, connection errors); runs/task: most runs of one task',
    '(each within its attempts); failover: fault to a new leader’s lease; dispatch back: fault until',
    'no task waited over 2 s for a node; last refusal: after the broken part was back.',
    ...(notes.length === 0 ? [] : ['', ...notes]),
  ].join('\n');
}
