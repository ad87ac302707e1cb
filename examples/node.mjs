// A Canopy worker node (@canopy/node-sdk): answers every task with its request body in upper case.
import { readFileSync } from 'node:fs';
import { CanopyNode } from '@canopy/node-sdk';

const node = new CanopyNode({
  servers: process.env.NATS_URL ?? 'nats://127.0.0.1:4223',
  credentials: readFileSync(process.env.NATS_CREDS ?? 'node.creds', 'utf8'),
  nodeId: process.env.NODE_ID ?? 'example-node',
  capabilities: { cpuCount: 1, memSize: 512, networkLatency: 0, privileged: false },
  slots: 2,
  agent: 'uppercase-example/1.0',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => void node.stop());
await node.start((task) => ({ status: 200, body: task.request.body.toString().toUpperCase() }));
process.exitCode = (await node.closed()) === undefined ? 0 : 1;
