import { randomUUID } from 'node:crypto';
import { nodeEvent, nodeStreamId } from '@canopy/contracts';
import type { NodeEvent } from '@canopy/contracts';
import type { RecordedEvent } from '@canopy/event-store';
import { findNode, listNodes } from '../queries/node-queries.js';
import {
  createReadModelTestDatabase,
  type ReadModelTestDatabase,
} from '../testing/read-model-test-database.js';
import { nodesProjection } from './nodes-projection.js';

// The nodes projection for registered nodes: registration, presence, disabling and enabling, and
// replays, checked against the rows and the gateway's queries.

const accountId = '64057f3c9956fae80d7e0e84';
const nodeId = '0a1b2c3d4e5f60718293a4b5';
const key = `U${'K'.repeat(55)}`;
const at = (second: number) => new Date(Date.UTC(2026, 10, 30, 12, 0, second)).toISOString();

const history: NodeEvent[] = [
  nodeEvent('NodeRegistered', {
    nodeId,
    accountId,
    hash: 'rack-1',
    description: 'GPU box',
    userPublicKey: key,
    at: at(0),
  }),
  nodeEvent('NodeAnnounced', {
    nodeId,
    capabilities: { cpuCount: 8, memSize: 16384, networkLatency: 3, privileged: true },
    slots: 4,
    agent: 'canopy-node-agent/0.1.0',
    at: at(10),
  }),
  nodeEvent('NodeDisabled', { nodeId, accountId, at: at(20) }),
  // An announcement recorded in a race with the disabling.
  nodeEvent('NodeAnnounced', {
    nodeId,
    capabilities: { cpuCount: 8, memSize: 16384, networkLatency: 3, privileged: true },
    slots: 4,
    agent: 'canopy-node-agent/0.1.0',
    at: at(21),
  }),
  nodeEvent('NodeEnabled', { nodeId, accountId, at: at(30) }),
  nodeEvent('NodeDescribed', { nodeId, accountId, description: 'GPU box, rack 2', at: at(31) }),
];

function recorded(event: NodeEvent, index: number): RecordedEvent {
  return {
    id: randomUUID(),
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    streamId: nodeStreamId(nodeId),
    streamVersion: index + 1,
    globalPosition: BigInt(index + 1),
    checkpoint: String(index + 1),
    recordedAt: new Date(),
  };
}

let database: ReadModelTestDatabase;

beforeAll(async () => {
  database = await createReadModelTestDatabase('nodes_projection');
});

afterAll(async () => {
  await database?.drop();
});

async function project(upTo: number): Promise<void> {
  await database.db.transaction().execute(async (trx) => {
    for (const [index, event] of history.slice(0, upTo).entries())
      await nodesProjection.apply(trx, recorded(event, index));
  });
}

const find = async () => findNode(database.db, accountId, nodeId);

test('follows a registered node through its life, idempotently', async () => {
  await project(1);
  expect(await find()).toEqual({
    nodeId,
    hash: 'rack-1',
    description: 'GPU box',
    available: false,
    disabled: false,
    capabilities: null,
    slots: null,
    runningTasks: 0,
    lastSeenAt: null,
    registeredAt: new Date(at(0)),
  });
  const row = await database.db
    .selectFrom('api.nodes')
    .select(['user_public_key', 'account_id'])
    .where('node_id', '=', nodeId)
    .executeTakeFirstOrThrow();
  expect(row).toEqual({ user_public_key: key, account_id: accountId });

  await project(2);
  expect(await find()).toMatchObject({
    available: true,
    capabilities: { cpuCount: 8, memSize: 16384, networkLatency: 3, privileged: true },
    slots: 4,
    lastSeenAt: new Date(at(10)),
  });

  await project(4);
  expect(await find()).toMatchObject({
    available: false,
    disabled: true,
    lastSeenAt: new Date(at(21)),
  });

  await project(6);
  // Enabled, but not available before it announces again.
  expect(await find()).toMatchObject({
    available: false,
    disabled: false,
    description: 'GPU box, rack 2',
  });

  // Replaying everything changes nothing.
  const before = await database.db.selectFrom('api.nodes').selectAll().execute();
  await project(6);
  expect(await database.db.selectFrom('api.nodes').selectAll().execute()).toEqual(before);

  expect(await findNode(database.db, '64057f3c9956fae80d7e0e85', nodeId)).toBeUndefined();
  const page = await listNodes(database.db, accountId, { limit: 10 });
  expect(page.items.map((item) => item.nodeId)).toEqual([nodeId]);
  expect(page.next).toBeNull();
});

test('one account cannot hold the same hash twice', async () => {
  const other = '1a1b2c3d4e5f60718293a4b5';
  await expect(
    database.db
      .insertInto('api.nodes')
      .values({
        node_id: other,
        account_id: accountId,
        hash: 'rack-1',
        registered_at: at(0),
        last_stream_version: 1,
      })
      .execute(),
  ).rejects.toThrow(/nodes_account_hash_key/);
});
