import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
// The benchmark runs nodes built on the SDK beside the platform, as an SDK user's worker process
// would; the platform's own code never imports the SDK.
import { CanopyNode, type TaskResult } from '@canopy/node-sdk';
import { createServiceLogger, stopOnSignals } from '@canopy/service-runtime';

// Nodes built on @canopy/node-sdk, all in this one process, whose handler answers every task at
// once (200, empty body): what a job queue's no-op worker is. The end-to-end benchmark starts it
// for `--runtime sdk` with one `--node <id>=<.creds file>` per node. SIGTERM stops every node.

const { values } = parseArgs({
  options: {
    'nats-url': { type: 'string' },
    node: { type: 'string', multiple: true, default: [] },
    slots: { type: 'string', default: '8' },
    'log-level': { type: 'string', default: 'warn' },
  },
});
const natsUrl = values['nats-url'];
const slots = Number(values.slots);
if (natsUrl === undefined || values.node.length === 0 || !Number.isInteger(slots) || slots < 1) {
  process.stderr.write(
    'usage: sdk-nodes --nats-url <url> --slots <n> --node <id>=<creds file> [--node ...]\n',
  );
  process.exit(2);
}

const logger = createServiceLogger(
  'canopy-bench-sdk-nodes',
  values['log-level'] as Parameters<typeof createServiceLogger>[1],
);
const answerAtOnce = (): TaskResult => ({ status: 200 });

const nodes = await Promise.all(
  values.node.map(async (spec) => {
    const separator = spec.indexOf('=');
    const nodeId = spec.slice(0, separator);
    const credentials = await readFile(spec.slice(separator + 1), 'utf8');
    return new CanopyNode({
      servers: natsUrl,
      credentials,
      nodeId,
      capabilities: { cpuCount: slots, memSize: 1024, networkLatency: 0, privileged: false },
      slots,
      agent: 'canopy-bench-sdk-node/0.1.0',
      logger,
    });
  }),
);
stopOnSignals(logger, async () => {
  await Promise.all(nodes.map((node) => node.stop()));
});
await Promise.all(nodes.map((node) => node.start(answerAtOnce)));
const lost = await Promise.all(nodes.map((node) => node.closed()));
process.exit(lost.some((error) => error !== undefined) ? 1 : 0);
