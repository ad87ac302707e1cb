import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatChaosTable } from '../chaos/chaos-report.js';
import { runChaos } from '../chaos/chaos-run.js';
import type { FaultReport } from '../chaos/chaos-run.js';
import type { FaultName } from '../chaos/faults.js';

// The chaos run of a test file (chaos/chaos-run.ts): the replicated stack under a light steady load
// (4 tasks/s from 4 clients, 3 node agents of 4 slots), the faults one after another, all in
// beforeAll; the processes' logs go to a temporary directory that afterAll removes.

const runTimeoutMs = 900_000;

export interface ChaosForFile {
  /** One report per fault, in order; only inside tests. */
  reports(): readonly FaultReport[];
  /** The reports' table and the run's progress lines, to show beside a failed expectation. */
  context(): string;
}

export function chaosRunForFile(
  label: string,
  faults: readonly FaultName[],
  /** Load from each fault on, ms. */
  faultPhaseMs: number,
): ChaosForFile {
  let reports: FaultReport[] = [];
  let logDir = '';
  const lines: string[] = [];
  beforeAll(async () => {
    logDir = await mkdtemp(path.join(tmpdir(), `canopy-${label}-`));
    reports = await runChaos({
      faults,
      ratePerSecond: 4,
      clients: 4,
      warmMs: 3_000,
      faultPhaseMs,
      downMs: 2_000,
      nodes: 3,
      slots: 4,
      logDir,
      progress: (line) => lines.push(line),
    });
  }, runTimeoutMs);
  afterAll(async () => {
    if (logDir !== '') await rm(logDir, { recursive: true, force: true });
  });
  return {
    reports: () => reports,
    context: () => `\n${formatChaosTable(reports)}\n\n${lines.join('\n')}`,
  };
}
