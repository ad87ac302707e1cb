import { randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@canopy/async-testing';
import {
  ISSUE_TASK_SUBJECT,
  SCHEDULER_QUEUE_GROUP,
  accountStreamId,
  taskStreamId,
} from '@canopy/contracts';
import { exampleFunctionDefinition } from '@canopy/contracts/testing';
import {
  activateSigningKey,
  addSigningKey,
  generateSigningKey,
  newSigningKeySet,
  parseApiKey,
  retireSigningKey,
} from '@canopy/identity';
import type { SigningKeySet } from '@canopy/identity';
import { createServiceLogger } from '@canopy/service-runtime';
import type { GatewayConfig } from '../config/gateway-config.js';
import { startGateway } from '../gateway.js';
import { TEST_SIGNING_KEYS, startGatewayHarness } from '../testing/gateway-harness.js';
import type { GatewayHarness, TestAccount } from '../testing/gateway-harness.js';

// API keys, access tokens and their signing keys, rate limits and the task quota, over HTTP against
// a real gateway (PostgreSQL, NATS).

type Json = Record<string, unknown>;

async function json(response: Response): Promise<Json> {
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as Json;
}

const exchange = (harness: GatewayHarness, key: string) =>
  harness.request('/v1/auth/apiKey', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ key }),
  });

describe('API keys, tokens and JWKS', () => {
  let harness: GatewayHarness;
  let owner: TestAccount;
  let ownerToken: string;

  beforeAll(async () => {
    harness = await startGatewayHarness('gateway-auth');
    owner = await harness.createAccount('Owner');
    ownerToken = await harness.tokenFor(owner);
  });

  afterAll(async () => {
    await harness.stop();
  });

  const createKey = (token: string, body?: unknown) =>
    harness.request('/v1/auth/keys', {
      method: 'POST',
      token,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });

  test('a key is created (shown once), listed without its secret, revoked, and then refused', async () => {
    const before = Math.floor(Date.now() / 1000);
    const created = await createKey(ownerToken, { name: '  ci  ' });
    expect(created.status).toBe(201);
    const body = await json(created);
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{12}$/),
      name: 'ci',
      key: expect.stringMatching(/^cnpy_[0-9a-f]{24}_[0-9a-f]{12}_[A-Za-z0-9_-]{49}$/),
      createdAt: expect.stringMatching(/^\d+$/),
    });
    expect(Number(body['createdAt'])).toBeGreaterThanOrEqual(before);
    const key = body['key'] as string;
    expect(parseApiKey(key)).toMatchObject({ accountId: owner.accountId, keyId: body['id'] });

    // The new key works at once.
    const viaNewKey = await exchange(harness, key);
    expect(viaNewKey.status).toBe(200);
    const newKeyToken = (await json(viaNewKey))['accessToken'] as string;

    const listed = await harness.request('/v1/auth/keys', { token: ownerToken });
    expect(listed.status).toBe(200);
    const keys = (await listed.json()) as Json[];
    expect(keys).toEqual([
      {
        id: owner.keyId,
        name: 'tests',
        createdAt: expect.stringMatching(/^\d+$/),
        revokedAt: null,
      },
      { id: body['id'], name: 'ci', createdAt: body['createdAt'], revokedAt: null },
    ]);
    const listedText = JSON.stringify(keys);
    expect(listedText).not.toContain(parseApiKey(key)?.secret ?? 'no secret');
    expect(listedText).not.toMatch(/[0-9a-f]{64}/);

    // Revoking the key the caller's token came from is allowed; twice is the same as once.
    for (let round = 0; round < 2; round += 1) {
      const revoked = await harness.request(`/v1/auth/keys/${body['id'] as string}`, {
        method: 'DELETE',
        token: newKeyToken,
      });
      expect(revoked.status).toBe(204);
      expect(await revoked.text()).toBe('');
    }
    const refused = await exchange(harness, key);
    expect(refused.status).toBe(401);
    expect(await json(refused)).toEqual({
      error: 'UNAUTHORIZED',
      message: 'the API key is not valid',
    });
    // Tokens already issued stay valid until they expire.
    expect((await harness.request('/v1/auth/keys', { token: newKeyToken })).status).toBe(200);

    const relisted = (await (
      await harness.request('/v1/auth/keys', { token: ownerToken })
    ).json()) as Json[];
    expect(relisted[1]).toEqual({
      id: body['id'],
      name: 'ci',
      createdAt: body['createdAt'],
      revokedAt: expect.stringMatching(/^\d+$/),
    });
    const events = await harness.store.readStream(accountStreamId(owner.accountId));
    expect(events.filter((event) => event.type === 'ApiKeyRevoked')).toHaveLength(1);
  });

  test('a key without a body has no name', async () => {
    const created = await createKey(ownerToken);
    expect(created.status).toBe(201);
    expect((await json(created))['name']).toBeNull();
  });

  test('an unknown key, or another account’s, answers 404 API_KEY_NOT_FOUND', async () => {
    const stranger = await harness.createAccount('Stranger');
    for (const id of [stranger.keyId, 'ffffffffffff', 'not-a-key-id']) {
      const response = await harness.request(`/v1/auth/keys/${id}`, {
        method: 'DELETE',
        token: ownerToken,
      });
      expect(response.status).toBe(404);
      expect((await json(response))['error']).toBe('API_KEY_NOT_FOUND');
    }
    expect((await exchange(harness, stranger.key)).status).toBe(200);
  });

  test.each([
    ['a name that is not a string', { name: 42 }],
    ['a name of 101 characters', { name: 'x'.repeat(101) }],
  ])('%s is refused naming the field', async (_case, body) => {
    const response = await createKey(ownerToken, body);
    expect(response.status).toBe(400);
    expect(await json(response)).toMatchObject({ error: 'INVALID_REQUEST', field: 'name' });
  });

  test('an account holds at most 20 live keys', async () => {
    const account = await harness.createAccount('Many keys');
    const token = await harness.tokenFor(account);
    for (let index = 1; index < 20; index += 1) {
      expect((await createKey(token, { name: `key ${index}` })).status).toBe(201);
    }
    const refused = await createKey(token, { name: 'one too many' });
    expect(refused.status).toBe(409);
    expect((await json(refused))['error']).toBe('TOO_MANY_API_KEYS');
    const revoked = await harness.request(`/v1/auth/keys/${account.keyId}`, {
      method: 'DELETE',
      token,
    });
    expect(revoked.status).toBe(204);
    expect((await createKey(token, { name: 'room again' })).status).toBe(201);
  });

  test('key management needs a token', async () => {
    expect((await harness.request('/v1/auth/keys')).status).toBe(401);
    expect((await harness.request('/v1/auth/keys', { method: 'POST' })).status).toBe(401);
    expect(
      (await harness.request(`/v1/auth/keys/${owner.keyId}`, { method: 'DELETE' })).status,
    ).toBe(401);
  });

  test('a key with a wrong checksum is refused like any invalid key', async () => {
    const tampered = `${owner.key.slice(0, -1)}${owner.key.endsWith('A') ? 'B' : 'A'}`;
    const response = await exchange(harness, tampered);
    expect(response.status).toBe(401);
  });

  test('the JWKS publishes the public keys, cacheable, without a token', async () => {
    const response = await harness.request('/.well-known/jwks.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const [key] = TEST_SIGNING_KEYS.keys;
    expect(await json(response)).toEqual({
      keys: [{ kid: key?.kid, kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig', x: key?.x }],
    });
    const header = JSON.parse(
      Buffer.from(ownerToken.split('.')[0] ?? '', 'base64url').toString('utf8'),
    ) as Json;
    expect(header).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: key?.kid });
  });
});

describe('signing key rotation through the key file', () => {
  let harness: GatewayHarness;
  let directory: string;
  let file: string;

  const writeKeys = async (set: SigningKeySet) => {
    // As `canopy auth keys` does: a new file renamed over the old one.
    const next = `${file}.${randomBytes(4).toString('hex')}`;
    await writeFile(next, JSON.stringify(set), { mode: 0o600 });
    await rename(next, file);
  };
  const kidOf = (token: string) =>
    (JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8')) as Json)[
      'kid'
    ];
  const jwksKids = async () =>
    ((await json(await harness.request('/.well-known/jwks.json')))['keys'] as Json[]).map(
      (key) => key['kid'],
    );

  beforeAll(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'canopy-keys-'));
    file = path.join(directory, 'auth-signing-keys.json');
  });

  afterAll(async () => {
    await harness.stop();
    await rm(directory, { recursive: true, force: true });
  });

  test('add, activate, retire: old tokens verify until their key is removed', async () => {
    const first = newSigningKeySet();
    await writeKeys(first);
    harness = await startGatewayHarness('gateway-rotation', { AUTH_SIGNING_KEYS_FILE: file });
    const account = await harness.createAccount();
    const oldToken = await harness.tokenFor(account);
    expect(kidOf(oldToken)).toBe(first.active);

    const next = generateSigningKey();
    const added = addSigningKey(first, next);
    await writeKeys(added);
    await eventually(async () => expect(await jwksKids()).toEqual([first.active, next.kid]));
    expect(kidOf(await harness.tokenFor(account))).toBe(first.active);

    const activated = activateSigningKey(added, next.kid);
    await writeKeys(activated);
    const newToken = await eventually(async () => {
      const token = await harness.tokenFor(account);
      expect(kidOf(token)).toBe(next.kid);
      return token;
    });
    expect((await harness.request('/v1/auth/keys', { token: oldToken })).status).toBe(200);

    // A file that does not parse is ignored: the keys in use stay. (Asked to reload at once rather
    // than waiting for a poll that would prove nothing by not changing anything.)
    await writeFile(file, '{ not json');
    harness.gateway.reloadSigningKeys();
    expect(await jwksKids()).toEqual([first.active, next.kid]);
    expect((await harness.request('/v1/auth/keys', { token: oldToken })).status).toBe(200);

    await writeKeys(retireSigningKey(activated, first.active ?? ''));
    await eventually(async () => expect(await jwksKids()).toEqual([next.kid]));
    const refused = await harness.request('/v1/auth/keys', { token: oldToken });
    expect(refused.status).toBe(401);
    expect((await harness.request('/v1/auth/keys', { token: newToken })).status).toBe(200);
  });
});

describe('rate limits and the task quota', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness('gateway-limits', {
      RATE_LIMIT_PER_SECOND: '1',
      RATE_LIMIT_BURST: '3',
      RATE_LIMIT_KEY_EXCHANGE_PER_SECOND: '1',
    });
  });

  afterAll(async () => {
    await harness.stop();
  });

  test('an account over its limit gets 429 RATE_LIMITED with Retry-After; another account does not', async () => {
    const busy = await harness.createAccount('Busy');
    const quiet = await harness.createAccount('Quiet');
    const busyToken = await eventually(() => harness.tokenFor(busy));
    const quietToken = await eventually(() => harness.tokenFor(quiet));

    const statuses: number[] = [];
    const left: (string | null)[] = [];
    let limited: Response | undefined;
    for (let index = 0; index < 4; index += 1) {
      const response = await harness.request('/v1/auth/keys', { token: busyToken });
      statuses.push(response.status);
      left.push(response.headers.get('ratelimit-remaining'));
      expect(response.headers.get('ratelimit-limit')).toBe('3');
      // A window of RATE_LIMIT_BURST / RATE_LIMIT_PER_SECOND = 3 s.
      expect(Number(response.headers.get('ratelimit-reset'))).toBeGreaterThanOrEqual(0);
      expect(Number(response.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(3);
      if (response.status === 429) limited = response;
      else await response.body?.cancel();
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect(left).toEqual(['2', '1', '0', '0']);
    if (limited === undefined) throw new Error('not limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await json(limited)).toEqual({
      error: 'RATE_LIMITED',
      message: 'too many requests for this account; slow down',
    });

    expect((await harness.request('/v1/auth/keys', { token: quietToken })).status).toBe(200);
    // Requests without a valid token are refused before the limiter, and do not count for anyone.
    expect((await harness.request('/v1/auth/keys', { token: 'forged' })).status).toBe(401);
  });

  test("gateways on one database share an account's allowance", async () => {
    const account = await harness.createAccount('Shared');
    const token = await eventually(() => harness.tokenFor(account));
    const second = await startGateway(
      harness.config,
      createServiceLogger('gateway', harness.config.LOG_LEVEL),
    );
    try {
      const answers: [number, string | null][] = [];
      for (const url of [harness.gateway.url, second.url, harness.gateway.url, second.url]) {
        const response = await fetch(`${url}/v1/auth/keys`, {
          headers: { authorization: `Bearer ${token}` },
        });
        answers.push([response.status, response.headers.get('ratelimit-remaining')]);
        await response.body?.cancel();
      }
      expect(answers).toEqual([
        [200, '2'],
        [200, '1'],
        [200, '0'],
        [429, '0'],
      ]);
    } finally {
      await second.stop();
    }
  });

  test('with RATE_LIMIT_STORE=memory, each gateway counts on its own', async () => {
    const account = await harness.createAccount('Apart');
    const token = await eventually(() => harness.tokenFor(account));
    const own: GatewayConfig = { ...harness.config, RATE_LIMIT_STORE: 'memory' };
    const [first, second] = await Promise.all([
      startGateway(own, createServiceLogger('gateway', own.LOG_LEVEL)),
      startGateway(own, createServiceLogger('gateway', own.LOG_LEVEL)),
    ]);
    try {
      const statuses = async (url: string) => {
        const seen: number[] = [];
        for (let index = 0; index < 4; index += 1) {
          const response = await fetch(`${url}/v1/auth/keys`, {
            headers: { authorization: `Bearer ${token}` },
          });
          seen.push(response.status);
          await response.body?.cancel();
        }
        return seen;
      };
      expect(await statuses(first.url)).toEqual([200, 200, 200, 429]);
      expect(await statuses(second.url)).toEqual([200, 200, 200, 429]);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });

  test('key exchanges are limited per client address, and say what is left', async () => {
    const account = await harness.createAccount();
    await eventually(() => harness.tokenFor(account));
    // One exchange a second per address (RATE_LIMIT_KEY_EXCHANGE_PER_SECOND=1): two at once cannot
    // both pass, whatever window the first falls in. A body that is not even valid counts too.
    const answers = await Promise.all([
      exchange(harness, account.key),
      harness.request('/v1/auth/apiKey', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      }),
    ]);
    for (const response of answers) {
      expect(response.headers.get('ratelimit-limit')).toBe('1');
      expect(response.headers.get('ratelimit-remaining')).toBe('0');
      expect(Number(response.headers.get('ratelimit-reset'))).toBeLessThanOrEqual(1);
    }
    const limited = answers.filter((response) => response.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(1);
    for (const response of limited) {
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await json(response)).toEqual({
        error: 'RATE_LIMITED',
        message: 'too many key exchanges from this address; slow down',
      });
    }
  });

  test('JWKS reads are limited per client address too, on an allowance of their own', async () => {
    const answers = await Promise.all(
      [1, 2, 3].map(async () => {
        const response = await harness.request('/.well-known/jwks.json');
        const body = await response.text();
        return { response, body };
      }),
    );
    const statuses = answers.map(({ response }) => response.status);
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses).toContain(429);
    for (const { response, body } of answers) {
      expect(response.headers.get('ratelimit-limit')).toBe('1');
      expect(response.headers.get('ratelimit-remaining')).toBe('0');
      if (response.status === 429) {
        expect(JSON.parse(body)).toEqual({
          error: 'RATE_LIMITED',
          message: 'too many key set reads from this address; slow down',
        });
      }
    }
  });

  test('a scheduler refusing for quota becomes 429 NO_QUOTA_AVAILABLE with Retry-After', async () => {
    const account = await harness.createAccount('Quota');
    const token = await eventually(() => harness.tokenFor(account));
    const registered = await harness.request('/v1/function', {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(exampleFunctionDefinition),
    });
    expect(registered.status).toBe(201);
    const functionId = (await json(registered))['id'] as string;

    const asked: string[] = [];
    const scheduler = harness.nats.subscribe(ISSUE_TASK_SUBJECT, {
      queue: SCHEDULER_QUEUE_GROUP,
      callback: (_error, message) => {
        asked.push(
          (JSON.parse(new TextDecoder().decode(message.data)) as Json)['taskId'] as string,
        );
        message.respond(
          JSON.stringify({
            ok: false,
            error: {
              code: 'NO_QUOTA_AVAILABLE',
              message: 'the account already has 2 unfinished tasks',
            },
          }),
        );
      },
    });
    try {
      await harness.nats.flush();
      const response = await eventually(async () => {
        const attempt = await harness.request(`/v1/task/${functionId}`, {
          method: 'POST',
          token,
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        // The account's rate limit may need a moment after the requests above.
        if (
          attempt.status === 429 &&
          ((await attempt.clone().json()) as Json)['error'] === 'RATE_LIMITED'
        )
          throw new Error('rate limited');
        return attempt;
      });
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('1');
      expect(await json(response)).toEqual({
        error: 'NO_QUOTA_AVAILABLE',
        message: 'the account has too many unfinished tasks; try again when some have finished',
      });
      expect(asked.length).toBeGreaterThanOrEqual(1);
      for (const taskId of asked) {
        expect(await harness.store.readStream(taskStreamId(taskId))).toEqual([]);
      }
    } finally {
      scheduler.unsubscribe();
    }
  });
});
