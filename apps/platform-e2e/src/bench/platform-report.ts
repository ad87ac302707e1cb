import { formatMs } from './latency-summary.js';
import type { LatencySummary } from './latency-summary.js';
import type { PlatformRun, PlatformRunOptions } from './platform-run.js';
import { formatFacts, formatMiB, formatRate, formatTable } from './report-tables.js';
import type { UsageReport } from './run-usage.js';

// How a platform run is printed: the main figures, then where the time went.

/** The runtime as the figures name it: `persistent, concurrency 8` when its function serves several. */
export function runtimeName(
  options: Pick<PlatformRunOptions, 'runtime' | 'functionConcurrency'>,
): string {
  const concurrency = options.functionConcurrency ?? 1;
  return concurrency === 1 ? options.runtime : `${options.runtime}, concurrency ${concurrency}`;
}

/** CPU seconds, share of one core and milliseconds per task. */
function cpuCells(figures: UsageReport['total']): string[] {
  return [
    `${figures.cpuSeconds.toFixed(2)} s`,
    `${figures.coreShare.toFixed(0)} %`,
    `${figures.cpuMsPerTask.toFixed(2)} ms`,
    figures.wakeUpsPerTask.toFixed(1),
  ];
}

function latencyCells(latency: LatencySummary): string[] {
  return [
    formatMs(latency.p50),
    formatMs(latency.p90),
    formatMs(latency.p99),
    formatMs(latency.max),
  ];
}

export function describeShape(run: PlatformRun): string {
  const { options, load } = run;
  const nodes =
    `${options.nodes} nodes x ${options.slots} slots` +
    ((options.schedulers ?? 1) > 1 ? `, ${options.schedulers} scheduler replicas` : '');
  return load.kind === 'closed'
    ? `runtime ${runtimeName(options)}, closed loop: ${load.tasks} tasks from ${load.clients} clients, ${nodes}`
    : `runtime ${runtimeName(options)}, open loop: ${load.ratePerSecond} tasks/s for ${load.durationSeconds} s, ${nodes}`;
}

export function formatPlatformRun(run: PlatformRun): string {
  const open = run.load.kind === 'open';
  const from = open ? 'arrival due' : 'POST';
  const errors = [...run.errors].sort((left, right) => right[1] - left[1]);
  const facts: [string, string][] = [
    ['runtime', runtimeName(run.options)],
    [
      'warm-up before the run (not counted)',
      `${run.warmedUp.tasks} tasks in ${(run.warmedUp.ms / 1000).toFixed(1)} s`,
    ],
    ['tasks issued', String(run.issued)],
    ['tasks completed (200)', String(run.completed)],
    ['errors', String(run.issued - run.completed)],
    ...errors
      .slice(0, 5)
      .map(([reason, count]): [string, string] => [`  ${reason}`, String(count)]),
    ['wall time', `${(run.elapsedMs / 1000).toFixed(1)} s`],
    ['throughput (completed)', formatRate(run.throughput)],
  ];
  if (run.maximum !== undefined) {
    facts.push([
      'the maximum, a closed loop first (not counted)',
      `${formatRate(run.maximum.throughput)}: ${run.maximum.tasks} tasks in ` +
        `${(run.maximum.ms / 1000).toFixed(1)} s; this run at half of it`,
    ]);
  }
  if (run.openLoop !== undefined) {
    facts.push(
      ['arrival rate achieved', formatRate(run.openLoop.achievedRate)],
      ['arrivals started late, p99', formatMs(run.openLoop.startLag.p99)],
    );
  }
  facts.push(
    ['events appended', String(run.projector.eventsStored)],
    ['projector backlog, max sampled (1/s)', `${run.projector.maxBacklogSampled} events`],
    ['projector backlog at the last result', `${run.projector.backlogAtLastResult} events`],
    ['projector catch-up after the last result', formatMs(run.projector.catchUpMs)],
  );
  const latency = formatTable(
    [`latency (${runtimeName(run.options)})`, 'p50', 'p90', 'p99', 'max'],
    [
      [`${from} -> 201`, ...latencyCells(run.toCreated)],
      [`${from} -> result`, ...latencyCells(run.toResult)],
    ],
  );
  return `${formatFacts(`Canopy end to end (${describeShape(run)})`, facts)}\n\n${latency}`;
}

export function formatWhereTheTimeGoes(run: PlatformRun): string {
  const blocks: string[] = [`Where the time goes (runtime ${runtimeName(run.options)})`];
  if (run.stages !== undefined) {
    blocks.push(
      formatTable(
        [`stage, over ${run.stages.tasks} tasks`, 'p50', 'p90', 'p99'],
        run.stages.figures.map(({ stage, latency }) => [
          stage.aside === true ? `${stage.label} (beside the path)` : stage.label,
          formatMs(latency.p50),
          formatMs(latency.p90),
          formatMs(latency.p99),
        ]),
      ) +
        `\n${run.stages.assignedWithIssue} of ${run.stages.tasks} tasks were assigned in the append ` +
        'that issued them (a free node at once): their assignedAt comes before TaskIssued recorded',
    );
  }
  if (run.overTime.length > 0) {
    const from = run.load.kind === 'open' ? 'arrival due' : 'POST';
    blocks.push(
      formatTable(
        ['started in (s)', 'tasks', `${from} -> 201 p50`, 'p99', `${from} -> result p50`, 'p99'],
        run.overTime.map((period) => [
          `${period.fromSeconds}-${period.toSeconds}`,
          String(period.tasks),
          formatMs(period.toCreated.p50),
          formatMs(period.toCreated.p99),
          formatMs(period.toResult.p50),
          formatMs(period.toResult.p99),
        ]),
      ),
    );
  }
  const usage = run.usage;
  if (usage !== undefined) {
    blocks.push(
      formatTable(
        [
          `process, over ${usage.wallSeconds.toFixed(1)} s`,
          'CPU',
          '% of a core',
          'CPU/task',
          'wake-ups/task',
          'RSS start',
          'RSS end',
          'live heap start',
          'live heap end',
        ],
        [
          ...usage.processes.map((figures) => [
            figures.name,
            ...cpuCells(figures),
            formatMiB(figures.rssStartBytes),
            formatMiB(figures.rssEndBytes),
            formatMiB(figures.liveHeapStartBytes),
            formatMiB(figures.liveHeapEndBytes),
          ]),
          ['all of the above', ...cpuCells(usage.total), '-', '-', '-', '-'],
        ],
      ),
      formatTable(
        ['NATS connections (how many)', 'published/task', 'delivered/task'],
        usage.nats.map((figures) => [
          figures.name,
          figures.publishedPerTask.toFixed(2),
          figures.deliveredPerTask.toFixed(2),
        ]),
      ),
      formatTable(
        ['process', 'PostgreSQL round trips/task'],
        usage.postgresRoundTrips.map((figures) => [figures.name, figures.perTask.toFixed(2)]),
      ),
      formatTable(
        ['process', 'per task', 'PostgreSQL statements sent most (first words)'],
        usage.postgresStatements.map((figures) => [
          figures.name,
          figures.perTask.toFixed(2),
          figures.statement.slice(0, 70),
        ]),
      ),
      formatTable(
        [
          'stalls: process',
          'loop late p50',
          'p99',
          'max',
          'GC pauses',
          'GC in all',
          'longest GC',
          'full GCs',
          'in all',
          'longest full',
        ],
        usage.stalls.map((stalls) => [
          stalls.name,
          formatMs(stalls.loopDelay.p50Ms),
          formatMs(stalls.loopDelay.p99Ms),
          formatMs(stalls.loopDelay.maxMs),
          String(stalls.gcPauses),
          formatMs(stalls.gcPauseMs),
          formatMs(stalls.gcLongestPauseMs),
          String(stalls.gcMajorPauses),
          formatMs(stalls.gcMajorPauseMs),
          formatMs(stalls.gcLongestMajorPauseMs),
        ]),
      ),
    );
  }
  const memory = run.memory;
  if (memory !== undefined && memory.length > 0) {
    const names = [...new Set(memory.flatMap((sample) => [...sample.rssBytes.keys()]))].sort();
    blocks.push(
      formatTable(
        ['RSS after tasks', ...memory.map((sample) => String(sample.completed))],
        names.map((name) => [
          name,
          ...memory.map((sample) => formatMiB(sample.rssBytes.get(name))),
        ]),
      ),
    );
  }
  return blocks.join('\n\n');
}
