import { parseArgs } from 'node:util';
import pg from 'pg';
import { startStack } from '../testing/platform-stack.js';
import type { PlatformStack } from '../testing/platform-stack.js';

// Throughput and latency of the whole system as real processes (npm run bench:e2e): C clients
// each issue one task at a time over HTTP and wait for its result; a no-op process function runs
// on K node agents. Prints figures; asserts nothing (see docs/benchmarks.md for how to read them).

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '20000' },
    clients: { type: 'string', default: '64' },
    nodes: { type: 'string', default: '4' },
    slots: { type: 'string', default: '8' },
  },
});
const taskCount = positive('tasks', values.tasks);
const clientCount = positive('clients', values.clients);
const nodeCount = positive('nodes', values.nodes);
const slotsPerNode = positive('slots', values.slots);

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`--${name} must be a positive integer`);
  return value;
}

interface Backlog {
  readonly applied: number;
  readonly stored: number;
}

async function projectorBacklog(pool: pg.Pool): Promise<Backlog> {
  const { rows } = await pool.query<{ applied: string | null; stored: string }>(`
    SELECT (SELECT events_applied FROM api.projection_checkpoints WHERE projection = 'api')::text AS applied,
           (SELECT count(*) FROM event_store.events)::text AS stored`);
  const row = rows[0];
  return { applied: Number(row?.applied ?? 0), stored: Number(row?.stored ?? 0) };
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

async function runOne(
  stack: PlatformStack,
  token: string,
  functionId: string,
): Promise<{ ms: number; ok: boolean }> {
  const started = performance.now();
  const issued = await stack.request(`/v1/task/${functionId}`, {
    method: 'POST',
    token,
    headers: { 'content-type': 'text/plain' },
    body: 'x',
  });
  const answer = (await issued.json()) as { id?: string };
  if (issued.status !== 201 || answer.id === undefined)
    return { ms: performance.now() - started, ok: false };
  for (;;) {
    const result = await stack.request(`/v1/task/${answer.id}/result?wait=30`, { token });
    await result.arrayBuffer();
    if (result.status !== 202)
      return { ms: performance.now() - started, ok: result.status === 200 };
  }
}

async function main(): Promise<void> {
  process.stdout.write(
    `starting the stack: ${nodeCount} node agents x ${slotsPerNode} slots; ${taskCount} tasks from ${clientCount} clients\n`,
  );
  const stack = await startStack({ label: 'bench' });
  const pool = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  try {
    for (let index = 0; index < nodeCount; index += 1) {
      await stack.startNode({ slots: slotsPerNode, cpuCount: slotsPerNode });
    }
    const { token } = await stack.signUp('bench');
    const functionId = await stack.registerFunction(token, {
      name: 'no-op',
      timeout: 60,
      runtime: { kind: 'process', command: 'true' },
    });

    const latencies: number[] = [];
    let failures = 0;
    let next = 0;
    let maxBacklog = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const { applied, stored } = await projectorBacklog(pool);
        maxBacklog = Math.max(maxBacklog, stored - applied);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    })();

    const started = performance.now();
    const client = async (): Promise<void> => {
      while (next < taskCount) {
        next += 1;
        const outcome = await runOne(stack, token, functionId);
        if (outcome.ok) latencies.push(outcome.ms);
        else failures += 1;
      }
    };
    await Promise.all(Array.from({ length: clientCount }, () => client()));
    const elapsedMs = performance.now() - started;
    sampling = false;
    await sampler;

    const backlogAtEnd = await projectorBacklog(pool);
    const catchUpStarted = performance.now();
    for (;;) {
      const { applied, stored } = await projectorBacklog(pool);
      if (applied >= stored) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const catchUpMs = performance.now() - catchUpStarted;

    latencies.sort((left, right) => left - right);
    const rows: [string, string][] = [
      ['tasks completed (200)', String(latencies.length)],
      ['tasks failed', String(failures)],
      ['clients / nodes x slots', `${clientCount} / ${nodeCount} x ${slotsPerNode}`],
      ['wall time', `${(elapsedMs / 1000).toFixed(1)} s`],
      ['throughput', `${((latencies.length / elapsedMs) * 1000).toFixed(0)} tasks/s`],
      ['latency p50 (POST -> result)', `${percentile(latencies, 0.5).toFixed(1)} ms`],
      ['latency p90', `${percentile(latencies, 0.9).toFixed(1)} ms`],
      ['latency p99', `${percentile(latencies, 0.99).toFixed(1)} ms`],
      ['latency max', `${(latencies.at(-1) ?? Number.NaN).toFixed(1)} ms`],
      ['events stored', String(backlogAtEnd.stored)],
      ['projector backlog, max sampled (1/s)', `${maxBacklog} events`],
      [
        'projector backlog at the last result',
        `${backlogAtEnd.stored - backlogAtEnd.applied} events`,
      ],
      ['projector catch-up after the last result', `${catchUpMs.toFixed(0)} ms`],
    ];
    const width = Math.max(...rows.map(([label]) => label.length));
    process.stdout.write(
      `\n${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n')}\n`,
    );
  } finally {
    await pool.end();
    await stack.stop();
  }
}

await main();
