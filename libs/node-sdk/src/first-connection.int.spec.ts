import { setTimeout as delay } from 'node:timers/promises';
import { eventually } from '@canopy/async-testing';
import { findFreePort, startPrivateNats } from '@canopy/local-services/testing';
import type { PrivateNats } from '@canopy/local-services/testing';
import { CanopyNode } from './canopy-node.js';
import type { CanopyNodeOptions } from './node-options.js';
import { ScriptedScheduler, recordingLogger, uniqueNodeId } from './testing/index.js';
import type { RecordedLogLine } from './testing/index.js';

// A node's first connection to NATS: a server that is not up yet is waited for (the node agent
// then starts before its server without exiting), stop() gives the wait up, and a node told not to
// wait fails at once as before.

const capabilities = { cpuCount: 2, memSize: 2048, networkLatency: 10, privileged: false };

let lines: RecordedLogLine[];
let nats: PrivateNats | undefined;
let scheduler: ScriptedScheduler | undefined;
let node: CanopyNode | undefined;

beforeEach(() => {
  lines = [];
});

afterEach(async () => {
  await node?.stop({ graceMs: 0 });
  await scheduler?.close();
  await nats?.stop();
  node = undefined;
  scheduler = undefined;
  nats = undefined;
});

/** A node of one slot whose NATS server is expected at `port`, where nothing listens yet. */
function nodeAwaiting(
  port: number,
  label: string,
  extra: Partial<CanopyNodeOptions> = {},
): CanopyNode {
  return new CanopyNode({
    servers: `nats://127.0.0.1:${port}`,
    nodeId: uniqueNodeId(`sdk-first-${label}`),
    capabilities,
    slots: 1,
    agent: 'sdk-test/1.0',
    logger: recordingLogger(lines),
    retry: { requestTimeoutMs: 250, initialDelayMs: 20, maxDelayMs: 100 },
    ...extra,
  });
}

/** Where a promise stands, without waiting for it. */
function track(work: Promise<unknown>): { readonly state: string } {
  const tracked = { state: 'pending' };
  work.then(
    () => (tracked.state = 'resolved'),
    (error: unknown) => (tracked.state = `rejected: ${String(error)}`),
  );
  return tracked;
}

test('a node waits for a NATS server that is not up yet, says so, and announces once it is', async () => {
  const port = await findFreePort();
  node = nodeAwaiting(port, 'wait');
  const starting = node.start(() => ({ status: 200 }));
  const start = track(starting);

  // Nothing listens on the port: the warning comes after 5 s of waiting, and by then a connection
  // that did not wait would long have failed.
  const warning = await eventually(
    () => lines.find(({ message }) => message === 'still waiting for NATS') ?? false,
  );
  expect(warning).toMatchObject({
    level: 'warn',
    fields: { waitedSeconds: expect.any(Number), servers: [`127.0.0.1:${port}`] },
  });
  // The first warning, at 5 s (or later, on a busy machine).
  expect(warning.fields['waitedSeconds']).toBeGreaterThanOrEqual(5);
  expect(start.state).toBe('pending');
  expect(node.phase).toBe('starting');
  expect(lines.filter(({ level }) => level === 'error')).toEqual([]);

  nats = await startPrivateNats({ port });
  scheduler = await ScriptedScheduler.start({ servers: nats.url, nodeId: node.nodeId });
  await starting;
  expect(node.phase).toBe('running');
  expect(await scheduler.waitFor('announce')).toMatchObject({ nodeId: node.nodeId, slots: 1 });
});

test('stop() gives up a first connection that is waiting: start() resolves, nothing is left', async () => {
  const port = await findFreePort();
  node = nodeAwaiting(port, 'stop');
  const starting = node.start(() => ({ status: 200 }));
  const start = track(starting);
  // Long enough for several refused attempts, each followed by nats.js's wait before the next.
  await delay(700);
  expect(start.state).toBe('pending');

  // stop() resolves once the waiting connection has given up, which ends nats.js's attempts.
  await node.stop();
  await starting;
  expect(node.phase).toBe('stopped');
  expect(await node.closed()).toBeUndefined();
  expect(await node.connection()).toBeUndefined();
  // A stop is not a failure to connect.
  expect(lines.filter(({ level }) => level === 'error')).toEqual([]);
});

test('with waitOnFirstConnect: false, an unreachable server fails the start at once', async () => {
  const port = await findFreePort();
  node = nodeAwaiting(port, 'fail-fast', { connectionOptions: { waitOnFirstConnect: false } });
  await expect(node.start(() => ({ status: 200 }))).rejects.toThrow();
  expect(node.phase).toBe('stopped');
  expect(await node.closed()).toBeInstanceOf(Error);
  expect(lines).toContainEqual(
    expect.objectContaining({ level: 'error', message: 'could not connect to NATS' }),
  );
});
