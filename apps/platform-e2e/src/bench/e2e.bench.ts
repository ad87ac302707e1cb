import { parseArgs } from 'node:util';
import { nodeRuntimes, RuntimeNotAvailableError } from './bench-nodes.js';
import type { NodeRuntime } from './bench-nodes.js';
import { formatPlatformRun, formatWhereTheTimeGoes } from './platform-report.js';
import { runPlatform } from './platform-run.js';
import type { PlatformLoad } from './platform-run.js';

// Throughput, latency and where the time goes, for the whole system as real processes
// (npm run bench:e2e). Prints figures; asserts nothing (docs/benchmarks.md says how to read them).

const usage = `Usage: npm run bench:e2e -- [options]
  --runtime sdk|process|persistent|http   the nodes and their no-op function (sdk)
  --nodes K --slots S                     K nodes of S slots each (4, 8)
  closed loop (the default): --tasks M --clients C   (20000, 64)
  open loop: --rate R --duration S        R arrivals per second for S seconds (S: 10)`;

const { values } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'sdk' },
    tasks: { type: 'string', default: '20000' },
    clients: { type: 'string', default: '64' },
    nodes: { type: 'string', default: '4' },
    slots: { type: 'string', default: '8' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${usage}\n`);
  process.exit(2);
}

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) fail(`--${name} must be a positive number`);
  return value;
}

function positiveInteger(name: string, text: string): number {
  const value = positive(name, text);
  if (!Number.isInteger(value)) fail(`--${name} must be a whole number`);
  return value;
}

if (values.help === true) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const runtime = values.runtime as NodeRuntime;
if (!nodeRuntimes.includes(runtime)) fail(`--runtime must be one of ${nodeRuntimes.join(', ')}`);
const load: PlatformLoad =
  values.rate === undefined
    ? {
        kind: 'closed',
        tasks: positiveInteger('tasks', values.tasks),
        clients: positiveInteger('clients', values.clients),
      }
    : {
        kind: 'open',
        ratePerSecond: positive('rate', values.rate),
        durationSeconds: positive('duration', values.duration ?? '10'),
      };
if (values.rate === undefined && values.duration !== undefined) fail('--duration needs --rate');

try {
  const run = await runPlatform({
    runtime,
    nodes: positiveInteger('nodes', values.nodes),
    slots: positiveInteger('slots', values.slots),
    load,
    details: true,
    progress: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`\n${formatPlatformRun(run)}\n\n${formatWhereTheTimeGoes(run)}\n`);
} catch (error) {
  if (!(error instanceof RuntimeNotAvailableError)) throw error;
  process.stderr.write(`\n${error.message}\n`);
  process.exit(2);
}
