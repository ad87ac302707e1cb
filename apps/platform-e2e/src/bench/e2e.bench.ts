import { parseArgs } from 'node:util';
import { CommandLine } from '../command-line.js';
import { nodeRuntimes, RuntimeNotAvailableError } from './bench-nodes.js';
import type { NodeRuntime } from './bench-nodes.js';
import { formatPlatformRun, formatWhereTheTimeGoes } from './platform-report.js';
import { DEFAULT_WARMUP_SECONDS, defaultWarmupTasks, runPlatform } from './platform-run.js';
import { describeWakeUpCost, measureWakeUpCost } from './wake-up-cost.js';
import type { PlatformLoad } from './platform-run.js';

// Throughput, latency and where the time goes, for the whole system as real processes
// (npm run bench:e2e). Prints figures; asserts nothing (docs/benchmarks.md says how to read them).

const usage = `Usage: npm run bench:e2e -- [options]
  --runtime sdk|process|persistent|http   the nodes and their no-op function (sdk)
  --concurrency C                         persistent: invocations one function process
                                          serves at once (1: one after another)
  --nodes K --slots S                     K nodes of S slots each (4, 8)
  --schedulers N                          N scheduler replicas, one leading (1)
  --warmup W --warmup-seconds T          a closed loop first, not counted, of at least W
                                          tasks and T seconds (4 x K x S, 5; both 0: none)
  --env KEY=VALUE                         a setting for every process of the stack (repeatable),
                                          e.g. --env PROJECTOR_BATCH_SIZE=500
  closed loop (the default): --tasks M --clients C   (20000, 64)
  open loop: --rate R --duration S        R arrivals per second for S seconds (S: 10)
  --rate half                             the closed loop first (--tasks, --clients), then on
                                          the same stack the open loop at half the rate it reached`;

const { values } = parseArgs({
  options: {
    runtime: { type: 'string', default: 'sdk' },
    concurrency: { type: 'string' },
    tasks: { type: 'string', default: '20000' },
    clients: { type: 'string', default: '64' },
    nodes: { type: 'string', default: '4' },
    slots: { type: 'string', default: '8' },
    schedulers: { type: 'string', default: '1' },
    warmup: { type: 'string' },
    'warmup-seconds': { type: 'string', default: String(DEFAULT_WARMUP_SECONDS) },
    env: { type: 'string', multiple: true, default: [] },
    rate: { type: 'string' },
    duration: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

const commandLine: CommandLine = new CommandLine(usage);
commandLine.answerHelp(values.help);
const runtime = values.runtime as NodeRuntime;
if (!nodeRuntimes.includes(runtime))
  commandLine.fail(`--runtime must be one of ${nodeRuntimes.join(', ')}`);
const closedLoop = {
  tasks: commandLine.positiveInteger('tasks', values.tasks),
  clients: commandLine.positiveInteger('clients', values.clients),
};
const durationSeconds = commandLine.positive('duration', values.duration ?? '10');
const load: PlatformLoad =
  values.rate === undefined
    ? { kind: 'closed', ...closedLoop }
    : values.rate === 'half'
      ? { kind: 'half', ...closedLoop, durationSeconds }
      : {
          kind: 'open',
          ratePerSecond: commandLine.positive('rate', values.rate),
          durationSeconds,
        };
if (values.rate === undefined && values.duration !== undefined)
  commandLine.fail('--duration needs --rate');

const serviceEnv: Record<string, string> = {};
for (const setting of values.env) {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(setting);
  if (match === null) commandLine.fail(`--env takes KEY=VALUE, not ${JSON.stringify(setting)}`);
  const [, key = '', value = ''] = match;
  serviceEnv[key] = value;
}

if (values.concurrency !== undefined && runtime !== 'persistent')
  commandLine.fail('--concurrency is for --runtime persistent');
const functionConcurrency =
  values.concurrency === undefined
    ? undefined
    : commandLine.positiveInteger('concurrency', values.concurrency);

const nodes = commandLine.positiveInteger('nodes', values.nodes);
const slots = commandLine.positiveInteger('slots', values.slots);
const schedulers = commandLine.positiveInteger('schedulers', values.schedulers);
const warmUp = {
  tasks:
    values.warmup === undefined
      ? defaultWarmupTasks(nodes, slots)
      : commandLine.nonNegativeInteger('warmup', values.warmup),
  seconds: commandLine.nonNegative('warmup-seconds', values['warmup-seconds']),
};

try {
  // Before the stack starts, so that nothing else of the run is awake meanwhile.
  const wakeUpCost = await measureWakeUpCost();
  const run = await runPlatform({
    runtime,
    ...(functionConcurrency === undefined ? {} : { functionConcurrency }),
    nodes,
    slots,
    schedulers,
    load,
    warmUp,
    details: true,
    serviceEnv,
    progress: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(
    `\n${formatPlatformRun(run)}\n\n${formatWhereTheTimeGoes(run)}\n\n` +
      `${describeWakeUpCost(wakeUpCost)}\n`,
  );
} catch (error) {
  if (!(error instanceof RuntimeNotAvailableError)) throw error;
  process.stderr.write(`\n${error.message}\n`);
  process.exit(2);
}
