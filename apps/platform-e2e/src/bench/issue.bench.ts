import { parseArgs } from 'node:util';
import { startStack } from '../testing/platform-stack.js';
import { runClosedLoop } from './load-shapes.js';

// Issuing throughput, single POSTs against batches (npm run bench:issue): the gateway, scheduler and
// projector as real processes, no node (tasks stay queued; the account's quota is off). Counts tasks
// recorded per second, measured from the first request to the last answer. Asserts nothing.

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '5000' },
    clients: { type: 'string', default: '32' },
    batch: { type: 'string', default: '100' },
  },
});
const tasks = Number(values.tasks);
const clients = Number(values.clients);
const batchSize = Number(values.batch);
for (const [name, value] of [
  ['tasks', tasks],
  ['clients', clients],
  ['batch', batchSize],
] as const) {
  if (!Number.isInteger(value) || value <= 0 || (name === 'batch' && value > 1000)) {
    process.stderr.write(`--${name} must be a whole number above 0 (a batch at most 1000)\n`);
    process.exit(2);
  }
}

const stack = await startStack({
  label: 'bench_issue',
  schedulerEnv: { MAX_WAITING_TASKS_PER_ACCOUNT: '0' },
});
try {
  const { token } = await stack.signUp('bench');
  const functionId = await stack.registerFunction(token, {
    name: 'bench',
    runtime: { kind: 'process', command: 'true' },
  });
  const statuses = new Map<number, number>();
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'text/plain' };

  /** Runs `requests` requests over `clients` concurrent clients; tasks recorded per second. */
  const measure = async (requests: number, send: () => Promise<number>): Promise<number> => {
    let recorded = 0;
    const elapsedMs = await runClosedLoop({ tasks: requests, clients }, async () => {
      // Not `recorded += await send()`: that reads `recorded` before the await, and the clients'
      // answers overwrite each other.
      const answered = await send();
      recorded += answered;
    });
    return recorded / (elapsedMs / 1000);
  };

  const single = () =>
    fetch(`${stack.url}/v1/task/${functionId}`, { method: 'POST', headers, body: 'x' }).then(
      async (response) => {
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        return response.status === 201 ? 1 : 0;
      },
    );
  const batchBody = JSON.stringify(
    Array.from({ length: batchSize }, () => ({ contentType: 'text/plain', body: 'x' })),
  );
  const batch = () =>
    fetch(`${stack.url}/v1/task/${functionId}/batch`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: batchBody,
    }).then(async (response) => {
      const answer = (await response.json()) as { status: number }[];
      return response.status === 200 ? answer.filter((entry) => entry.status === 201).length : 0;
    });

  // A warm-up of each, then the measured runs.
  await measure(Math.min(200, tasks), single);
  await measure(Math.max(1, Math.round(200 / batchSize)), batch);
  const singleRate = await measure(tasks, single);
  const batchRate = await measure(Math.max(1, Math.round(tasks / batchSize)), batch);
  process.stdout.write(
    [
      `tasks ${tasks}, clients ${clients}, batch size ${batchSize}`,
      `single POSTs: ${singleRate.toFixed(0)} tasks/s`,
      `batches:      ${batchRate.toFixed(0)} tasks/s`,
      `ratio:        ${(batchRate / singleRate).toFixed(1)}x`,
      `single POST answers: ${JSON.stringify(Object.fromEntries(statuses))}`,
    ].join('\n') + '\n',
  );
} finally {
  await stack.stop();
}
