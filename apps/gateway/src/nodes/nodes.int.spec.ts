import { eventually } from '@canopy/async-testing';
import { nodeEvent, nodeStreamId, parseNodeEvent } from '@canopy/contracts';
import type { NodeEvent } from '@canopy/contracts';
import { toNewEvents } from '@canopy/event-store';
import { registeredNodeId } from '@canopy/node-domain';
import { nodesProjection } from '@canopy/read-models/projections';
import { createUser } from '@nats-io/nkeys';
import { startGatewayHarness } from '../testing/gateway-harness.js';
import type { GatewayHarness, TestAccount } from '../testing/gateway-harness.js';
import type { NodeCredentialsIssuer } from './node-credentials.js';

// The node registration endpoints on a real gateway, PostgreSQL and NATS. Credentials come from a
// real nkey pair made here (the gateway stores only its public key); the node list is read from the
// read model, which this file fills by running the nodes projection over the node streams.

/** Issues a fresh user nkey per node; remembers what it handed out. */
class TestIssuer implements NodeCredentialsIssuer {
  readonly issued = new Map<string, { publicKey: string; seed: string }[]>();

  async issue(nodeId: string): Promise<{ publicKey: string; creds: string }> {
    const user = createUser();
    const publicKey = user.getPublicKey();
    const seed = new TextDecoder().decode(user.getSeed());
    this.issued.set(nodeId, [...(this.issued.get(nodeId) ?? []), { publicKey, seed }]);
    return {
      publicKey,
      creds: `-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`,
    };
  }
}

const issuer = new TestIssuer();
let harness: GatewayHarness;
let owner: TestAccount;
let token: string;
let stranger: TestAccount;
let strangerToken: string;

beforeAll(async () => {
  harness = await startGatewayHarness('gateway_nodes', {}, { nodeCredentials: issuer });
  owner = await harness.createAccount('Owner');
  stranger = await harness.createAccount('Stranger');
  token = await harness.tokenFor(owner);
  strangerToken = await harness.tokenFor(stranger);
});

afterAll(async () => {
  await harness.stop();
});

const json = { 'content-type': 'application/json' };

function register(hash: string, body: unknown = { description: 'GPU box' }, bearer = token) {
  return harness.request(`/v1/node/${hash}`, {
    method: 'POST',
    token: bearer,
    headers: json,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

async function nodeEvents(nodeId: string): Promise<NodeEvent[]> {
  const recorded = await harness.store.readStream(nodeStreamId(nodeId));
  return recorded.map((event) =>
    parseNodeEvent({ type: event.type, data: event.data, metadata: event.metadata }),
  );
}

/** The projector's work for node streams, done here. */
async function project(nodeId: string): Promise<void> {
  const recorded = await harness.store.readStream(nodeStreamId(nodeId));
  await harness.db.transaction().execute(async (trx) => {
    for (const event of recorded) await nodesProjection.apply(trx, event);
  });
}

const announcement = {
  capabilities: { cpuCount: 8, memSize: 16384, networkLatency: 3, privileged: true },
  slots: 4,
  agent: 'canopy-node-agent/0.1.0',
  at: '2026-11-30T12:30:00Z',
};

/** What the scheduler appends when the node announces itself. */
async function announce(nodeId: string): Promise<void> {
  const streamId = nodeStreamId(nodeId);
  const version = (await harness.store.readStream(streamId)).length;
  const events = [nodeEvent('NodeAnnounced', { nodeId, ...announcement })];
  await harness.store.appendToStream(streamId, toNewEvents(streamId, version, events), {
    expectedVersion: version,
  });
}

/** How the API shows an enabled node that has announced itself (see `announce`) and runs nothing. */
function announcedNodeJson(node: {
  hash: string;
  nodeId: string;
  description: string;
  available: boolean;
}): Record<string, unknown> {
  return {
    ...node,
    disabled: false,
    capabilities: announcement.capabilities,
    slots: announcement.slots,
    runningTasks: 0,
    lastSeenAt: String(Date.parse(announcement.at) / 1000),
    registeredAt: expect.stringMatching(/^\d+$/) as unknown,
  };
}

async function list(bearer = token, query = ''): Promise<Response> {
  return harness.request(`/v1/node/list${query}`, { token: bearer });
}

describe('POST /v1/node/:hash', () => {
  test('registers the node and returns its credentials once; only the public key is stored', async () => {
    const response = await register('rack-1');
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, string>;
    const nodeId = registeredNodeId(owner.accountId, 'rack-1');
    const [issued] = issuer.issued.get(nodeId) ?? [];
    expect(issued).toBeDefined();
    expect(body).toEqual({
      hash: 'rack-1',
      nodeId,
      description: 'GPU box',
      credentials: expect.stringContaining(issued?.seed ?? 'no seed') as unknown,
    });

    const events = await nodeEvents(nodeId);
    expect(events).toEqual([
      nodeEvent('NodeRegistered', {
        nodeId,
        accountId: owner.accountId,
        hash: 'rack-1',
        description: 'GPU box',
        userPublicKey: issued?.publicKey ?? '',
        at: expect.any(String) as unknown as string,
      }),
    ]);
    const stored = JSON.stringify(
      (await harness.store.readStream(nodeStreamId(nodeId))).map(({ data, metadata }) => ({
        data,
        metadata,
      })),
    );
    expect(stored).not.toContain(issued?.seed ?? 'no seed');
  });

  test('the description is optional, and an empty body is accepted', async () => {
    const response = await harness.request('/v1/node/bare', { method: 'POST', token });
    expect(response.status).toBe(201);
    expect(await response.json()).toMatchObject({ hash: 'bare', description: '' });
  });

  test('the same hash twice in one account is 409 and issues nothing more', async () => {
    expect((await register('twice')).status).toBe(201);
    const nodeId = registeredNodeId(owner.accountId, 'twice');
    const again = await register('twice', { description: 'other' });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: 'NODE_ALREADY_REGISTERED', field: 'hash' });
    expect(issuer.issued.get(nodeId)).toHaveLength(1);
    expect(await nodeEvents(nodeId)).toHaveLength(1);
  });

  test('two accounts may use the same hash: each gets its own node', async () => {
    expect((await register('shared')).status).toBe(201);
    const theirs = await register('shared', {}, strangerToken);
    expect(theirs.status).toBe(201);
    const { nodeId } = (await theirs.json()) as { nodeId: string };
    expect(nodeId).toBe(registeredNodeId(stranger.accountId, 'shared'));
    expect(nodeId).not.toBe(registeredNodeId(owner.accountId, 'shared'));
  });

  test.each([
    ['a hash with a dot', '/v1/node/a.b', { description: '' }, 'hash'],
    ['a hash of 65 characters', `/v1/node/${'h'.repeat(65)}`, {}, 'hash'],
    [
      'a description over 500 characters',
      '/v1/node/long',
      { description: 'x'.repeat(501) },
      'description',
    ],
    ['a description that is not a string', '/v1/node/num', { description: 5 }, 'description'],
    ['an unknown field', '/v1/node/extra', { description: '', slots: 3 }, 'slots'],
  ])('%s is a 400 naming the field', async (_case, path, body, field) => {
    const response = await harness.request(path, {
      method: 'POST',
      token,
      headers: json,
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'INVALID_REQUEST', field });
  });

  test('a body that is not a JSON object is a 400', async () => {
    const response = await register('bad-body', '[1,2]');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'INVALID_REQUEST' });
  });

  test('needs an access token', async () => {
    const response = await harness.request('/v1/node/anon', { method: 'POST' });
    expect(response.status).toBe(401);
  });
});

describe('GET /v1/node/list', () => {
  test("lists the caller's nodes with their state, newest registration first, paged", async () => {
    const listOwner = await harness.createAccount('Lister');
    const bearer = await harness.tokenFor(listOwner);
    for (const hash of ['first', 'second', 'third']) {
      expect((await register(hash, { description: `node ${hash}` }, bearer)).status).toBe(201);
      await project(registeredNodeId(listOwner.accountId, hash));
    }
    const second = registeredNodeId(listOwner.accountId, 'second');
    await announce(second);
    await project(second);

    const page = await list(bearer, '?limit=2');
    expect(page.status).toBe(200);
    const link = page.headers.get('link');
    expect(link).toMatch(/^<\/v1\/node\/list\?limit=2&cursor=[A-Za-z0-9_-]+>; rel="next"$/);
    const items = (await page.json()) as Record<string, unknown>[];
    expect(items.map((item) => item['hash'])).toEqual(['third', 'second']);
    expect(items[1]).toEqual(
      announcedNodeJson({
        hash: 'second',
        nodeId: second,
        description: 'node second',
        available: true,
      }),
    );
    expect(items[0]).toMatchObject({
      hash: 'third',
      available: false,
      capabilities: null,
      slots: null,
      lastSeenAt: null,
    });

    const next = link?.match(/^<([^>]+)>/)?.[1] ?? '';
    const rest = (await (await harness.request(next, { token: bearer })).json()) as {
      hash: string;
    }[];
    expect(rest.map((item) => item.hash)).toEqual(['first']);

    // Another account sees none of them.
    const theirs = (await (await list(strangerToken)).json()) as { hash: string }[];
    expect(theirs.map((item) => item.hash)).not.toContain('second');
  });

  test('shows the running-task count the projector keeps for the node', async () => {
    const counted = await harness.createAccount('Counter');
    const bearer = await harness.tokenFor(counted);
    expect((await register('busy', {}, bearer)).status).toBe(201);
    const nodeId = registeredNodeId(counted.accountId, 'busy');
    await project(nodeId);
    // The tasks projection moves this counter on TaskAssigned / TaskUnassigned / terminal events
    // (libs/read-models task-counters tests); the list reads it as it is.
    await harness.db
      .updateTable('api.nodes')
      .set({ running_tasks: 2 })
      .where('node_id', '=', nodeId)
      .execute();
    const [item] = (await (await list(bearer)).json()) as { runningTasks: number }[];
    expect(item?.runningTasks).toBe(2);
  });

  test('a bad cursor is a 400 naming it', async () => {
    const response = await list(token, '?cursor=nope');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ field: 'cursor' });
  });
});

describe('DELETE and PATCH /v1/node/:hash', () => {
  test('DELETE disables the node (idempotently); PATCH restores it and may describe it', async () => {
    expect((await register('cycle')).status).toBe(201);
    const nodeId = registeredNodeId(owner.accountId, 'cycle');
    await announce(nodeId);

    const deleted = await harness.request('/v1/node/cycle', { method: 'DELETE', token });
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe('');
    expect((await harness.request('/v1/node/cycle', { method: 'DELETE', token })).status).toBe(204);
    expect((await nodeEvents(nodeId)).map((event) => event.type)).toEqual([
      'NodeRegistered',
      'NodeAnnounced',
      'NodeDisabled',
    ]);
    await project(nodeId);
    const listed = (await (await list()).json()) as {
      hash: string;
      disabled: boolean;
      available: boolean;
    }[];
    expect(listed.find((item) => item.hash === 'cycle')).toMatchObject({
      disabled: true,
      available: false,
    });

    const restored = await harness.request('/v1/node/cycle', {
      method: 'PATCH',
      token,
      headers: json,
      body: JSON.stringify({ description: 'back in rack 2' }),
    });
    expect(restored.status).toBe(200);
    expect(await restored.json()).toEqual(
      announcedNodeJson({
        hash: 'cycle',
        nodeId,
        description: 'back in rack 2',
        // Available again only once it announces itself again.
        available: false,
      }),
    );
    // Restoring an enabled node with the same description changes nothing.
    const again = await harness.request('/v1/node/cycle', { method: 'PATCH', token });
    expect(again.status).toBe(200);
    expect((await nodeEvents(nodeId)).map((event) => event.type)).toEqual([
      'NodeRegistered',
      'NodeAnnounced',
      'NodeDisabled',
      'NodeEnabled',
      'NodeDescribed',
    ]);
    await project(nodeId);
    await eventually(async () => {
      const items = (await (await list()).json()) as { hash: string }[];
      expect(items.find((item) => item.hash === 'cycle')).toMatchObject({
        disabled: false,
        description: 'back in rack 2',
      });
    });
  });

  test("an unknown hash, or another account's node, is 404 NODE_NOT_FOUND and changes nothing", async () => {
    expect((await register('mine')).status).toBe(201);
    const nodeId = registeredNodeId(owner.accountId, 'mine');
    for (const [method, bearer, path] of [
      ['DELETE', token, '/v1/node/never-registered'],
      ['PATCH', token, '/v1/node/never-registered'],
      ['DELETE', strangerToken, '/v1/node/mine'],
      ['PATCH', strangerToken, '/v1/node/mine'],
    ] as const) {
      const response = await harness.request(path, { method, token: bearer });
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'NODE_NOT_FOUND' });
    }
    expect(await nodeEvents(nodeId)).toHaveLength(1);
  });

  test('bad input is a 400 naming the field', async () => {
    expect((await register('patchy')).status).toBe(201);
    for (const [path, body, field] of [
      ['/v1/node/a.b', '{}', 'hash'],
      ['/v1/node/patchy', '{"name":"x"}', 'name'],
      ['/v1/node/patchy', JSON.stringify({ description: 'x'.repeat(501) }), 'description'],
    ] as const) {
      const response = await harness.request(path, { method: 'PATCH', token, headers: json, body });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ field });
    }
    const deleted = await harness.request('/v1/node/a.b', { method: 'DELETE', token });
    expect(deleted.status).toBe(400);
    expect(await deleted.json()).toMatchObject({ field: 'hash' });
  });
});

describe('a gateway that cannot issue node credentials', () => {
  test('answers registrations 503 NODE_REGISTRATION_UNAVAILABLE and records nothing', async () => {
    const bare = await startGatewayHarness('gateway_nodes_bare');
    try {
      const account = await bare.createAccount();
      const response = await bare.request('/v1/node/rack-1', {
        method: 'POST',
        token: await bare.tokenFor(account),
        headers: json,
        body: '{}',
      });
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        error: 'NODE_REGISTRATION_UNAVAILABLE',
        message: expect.stringContaining('credentials') as unknown,
      });
      const nodeId = registeredNodeId(account.accountId, 'rack-1');
      expect(await bare.store.readStream(nodeStreamId(nodeId))).toEqual([]);
    } finally {
      await bare.stop();
    }
  });
});
