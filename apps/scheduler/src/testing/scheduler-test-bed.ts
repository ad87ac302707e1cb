import { startPrivateNats } from '@canopy/local-services/testing';
import type { PrivateNats } from '@canopy/local-services/testing';
import type { SchedulerExtensions } from '../scheduler.js';
import { eventually } from '@canopy/async-testing';
import { SchedulerFixture, objectId } from './scheduler-fixture.js';
import { ScriptedNode } from './scripted-node.js';
import type { ScriptedNodeOptions } from './scripted-node.js';

// The setup most scheduler spec files share: their own nats-server (startPrivateNats) for the file,
// and per test schedulers on their own databases and scripted nodes, all closed after the test.

export interface SchedulerTestBed {
  /** Starts a scheduler on a database of its own; closed after the test. */
  scheduler(
    settings?: Record<string, string>,
    extensions?: SchedulerExtensions,
  ): Promise<SchedulerFixture>;
  /** Starts a scripted node on the file's nats-server; closed after the test. */
  startNode(
    options: Omit<ScriptedNodeOptions, 'servers'>,
    start?: { announce?: boolean },
  ): Promise<ScriptedNode>;
}

/** Registers the Jest hooks of the test bed: call it once, at the top of a spec file. */
export function schedulerTestBed(): SchedulerTestBed {
  let nats: PrivateNats | undefined;
  const fixtures: SchedulerFixture[] = [];
  const nodes: ScriptedNode[] = [];

  beforeAll(async () => {
    nats = await startPrivateNats();
  });
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((node) => node.close()));
    await Promise.all(fixtures.splice(0).map((fixture) => fixture.close()));
  });
  afterAll(async () => {
    await nats?.stop();
  });

  const natsUrl = (): string => {
    if (nats === undefined) throw new Error('the nats-server did not start (see beforeAll)');
    return nats.url;
  };
  return {
    async scheduler(settings = {}, extensions = {}) {
      const fixture = await SchedulerFixture.start(natsUrl(), settings, extensions);
      fixtures.push(fixture);
      return fixture;
    },
    async startNode(options, start) {
      const node = await ScriptedNode.start({ servers: natsUrl(), ...options }, start);
      nodes.push(node);
      return node;
    },
  };
}

/** A node id no other test uses, readable in logs: `<name>-<8 hex>`. */
export const uniqueNodeId = (name: string): string => `${name}-${objectId().slice(0, 8)}`;

/**
 * Issues a task and has the node finish it: once that is acknowledged, the leader knows the node,
 * its state is rebuilt and the node's slots are free again.
 */
export async function runOneTask(
  s: SchedulerFixture,
  fn: { functionId: string; accountId: string },
  node: ScriptedNode,
): Promise<void> {
  const request = s.issueRequest(fn);
  expect((await s.issue(request)).ok).toBe(true);
  await eventually(() => node.runningTasks.some(({ taskId }) => taskId === request.taskId));
  expect(await node.result(request.taskId, 1)).toEqual({ ok: true });
}
