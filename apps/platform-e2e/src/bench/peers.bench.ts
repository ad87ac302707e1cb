import { parseArgs } from 'node:util';
import { CommandLine } from '../command-line.js';
import { redisAnswers, runBullMq } from './bullmq-peer.js';
import { formatMs } from './latency-summary.js';
import type { PeerRun } from './peer-run.js';
import { runPgBoss } from './pg-boss-peer.js';
import { DEFAULT_WARMUP_SECONDS, defaultWarmupTasks, runPlatform } from './platform-run.js';
import { formatRate, formatTable } from './report-tables.js';

// Canopy against the job queues its users compare it with, in the same run on the same machine
// (npm run bench:peers): M no-op jobs, C producers each issuing one and waiting for its completion,
// K workers x S slots. pg-boss on PostgreSQL (DATABASE_URL's server), BullMQ on Redis, then Canopy
// with SDK nodes (the end-to-end benchmark's sdk runtime). Prints figures and Canopy's ratios.

const usage = `Usage: npm run bench:peers -- [--tasks M] [--clients C] [--workers K] [--slots S]
  --tasks 10000 --clients 64 --workers 4 --slots 8 by default
  --warmup W --warmup-seconds T
                    a closed loop first on each system, not counted, of at least W jobs
                    and T seconds (4 x K x S, 5; both 0: none)
  --poll-ms 25      how often a pg-boss producer looks up its job
  --redis-url URL   BullMQ's Redis (REDIS_URL, else redis://127.0.0.1:6379)`;

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '10000' },
    clients: { type: 'string', default: '64' },
    workers: { type: 'string', default: '4' },
    slots: { type: 'string', default: '8' },
    warmup: { type: 'string' },
    'warmup-seconds': { type: 'string', default: String(DEFAULT_WARMUP_SECONDS) },
    'poll-ms': { type: 'string', default: '25' },
    'redis-url': { type: 'string', default: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379' },
    help: { type: 'boolean', short: 'h' },
  },
});
const commandLine = new CommandLine(usage);
commandLine.answerHelp(values.help);

const workers = commandLine.positiveInteger('workers', values.workers);
const slots = commandLine.positiveInteger('slots', values.slots);
const shape = {
  tasks: commandLine.positiveInteger('tasks', values.tasks),
  clients: commandLine.positiveInteger('clients', values.clients),
  workers,
  slots,
  warmup:
    values.warmup === undefined
      ? defaultWarmupTasks(workers, slots)
      : commandLine.nonNegativeInteger('warmup', values.warmup),
  warmupSeconds: commandLine.nonNegative('warmup-seconds', values['warmup-seconds']),
};
const say = (line: string): void => void process.stdout.write(`${line}\n`);

say(
  `${shape.tasks} no-op jobs, ${shape.clients} producers issuing one at a time and waiting for ` +
    `its completion, ${shape.workers} workers x ${shape.slots} slots, after a warm-up of ` +
    `at least ${shape.warmup} jobs and ${shape.warmupSeconds} s on each system`,
);
const runs: PeerRun[] = [];
const skipped: string[] = [];

say('pg-boss: running');
runs.push(
  await runPgBoss({ ...shape, pollMs: commandLine.positiveInteger('poll-ms', values['poll-ms']) }),
);

const redis = await redisAnswers(values['redis-url']);
if (redis === true) {
  say('BullMQ: running');
  runs.push(await runBullMq({ ...shape, redisUrl: values['redis-url'] }));
} else {
  skipped.push(`BullMQ: skipped (no Redis answers at ${values['redis-url']}: ${redis})`);
  say(skipped.at(-1) ?? '');
}

const canopyRun = await runPlatform({
  runtime: 'sdk',
  nodes: shape.workers,
  slots: shape.slots,
  load: { kind: 'closed', tasks: shape.tasks, clients: shape.clients },
  warmUp: { tasks: shape.warmup, seconds: shape.warmupSeconds },
  details: false,
  progress: (line) => say(`Canopy: ${line}`),
});
const canopy: PeerRun = {
  system: 'Canopy (runtime sdk)',
  completed: canopyRun.completed,
  errors: canopyRun.issued - canopyRun.completed,
  elapsedMs: canopyRun.elapsedMs,
  throughput: canopyRun.throughput,
  latency: canopyRun.toResult,
};
runs.push(canopy);

say('');
say(
  formatTable(
    ['system', 'completed', 'errors', 'wall time', 'throughput', 'p50', 'p99'],
    runs.map((run) => [
      run.system,
      String(run.completed),
      String(run.errors),
      `${(run.elapsedMs / 1000).toFixed(1)} s`,
      formatRate(run.throughput),
      formatMs(run.latency.p50),
      formatMs(run.latency.p99),
    ]),
  ),
);
for (const line of skipped) say(line);
say('');
const ratio = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}x` : '-');
say(
  formatTable(
    [
      'Canopy (sdk) / peer',
      'throughput (higher: Canopy faster)',
      'p50 (lower: Canopy faster)',
      'p99',
    ],
    runs
      .filter((run) => run !== canopy)
      .map((peer) => [
        `Canopy / ${peer.system}`,
        ratio(canopy.throughput / peer.throughput),
        ratio(canopy.latency.p50 / peer.latency.p50),
        ratio(canopy.latency.p99 / peer.latency.p99),
      ]),
  ),
);
