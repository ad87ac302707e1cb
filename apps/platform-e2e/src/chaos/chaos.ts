import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CommandLine } from '../command-line.js';
import { formatChaosTable, violationCount } from './chaos-report.js';
import { runChaos } from './chaos-run.js';
import { faultDescriptions, faultNames, isFaultName } from './faults.js';
import type { FaultName } from './faults.js';

// npm run chaos: the platform, every part replicated, under a steady load while its parts are
// killed one after another. Prints a table per fault; exits 1 on any violation.

const usage = `Usage: npm run chaos -- [options]
  --faults a,b,c     faults in turn (default: all, in this order)
${faultNames.map((name) => `                       ${name}: ${faultDescriptions[name]}`).join('\n')}
  --duration S       seconds of load from each fault on (20); 5 s of load come before it
  --rate R           tasks per second, all clients together (24)
  --clients C        clients, spread over the two gateways (24)
  --down S           seconds a killed process stays down (3)
  --log-dir DIR      where each process's output is written (default: a new folder in the temp dir)`;

const { values } = parseArgs({
  options: {
    faults: { type: 'string', default: faultNames.join(',') },
    duration: { type: 'string', default: '20' },
    rate: { type: 'string', default: '24' },
    clients: { type: 'string', default: '24' },
    down: { type: 'string', default: '3' },
    'log-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

const commandLine = new CommandLine(usage);
commandLine.answerHelp(values.help);
const faults = values.faults.split(',').map((name) => name.trim());
const unknown = faults.filter((name) => !isFaultName(name));
if (unknown.length > 0) commandLine.fail(`unknown fault(s): ${unknown.join(', ')}`);
const clients = commandLine.positiveInteger('clients', values.clients);

const started = Date.now();
const reports = await runChaos({
  faults: faults as FaultName[],
  ratePerSecond: commandLine.positive('rate', values.rate),
  clients,
  warmMs: 5_000,
  faultPhaseMs: commandLine.positive('duration', values.duration) * 1000,
  downMs: commandLine.positive('down', values.down) * 1000,
  nodes: 3,
  slots: 8,
  logDir: values['log-dir'] ?? (await mkdtemp(path.join(tmpdir(), 'canopy-chaos-logs-'))),
  progress: (line) =>
    process.stdout.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`),
});
process.stdout.write(`\n${formatChaosTable(reports)}\n`);
for (const report of reports) {
  const { staleEpochAssignments, overbooked } = report.judgement.violations;
  for (const line of [
    ...staleEpochAssignments.slice(0, 5),
    ...overbooked.map((node) => `${node.nodeId} held ${node.held}: ${node.attempts.join(', ')}`),
  ]) {
    process.stdout.write(`  ${report.fault}: ${line}\n`);
  }
}
const violations = reports.reduce((sum, report) => sum + violationCount(report), 0);
process.stdout.write(
  violations === 0 ? '\nno violations\n' : `\n${violations} violation(s): see the table\n`,
);
process.exit(violations === 0 ? 0 : 1);
