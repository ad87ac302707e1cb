import {
  LEADER_FUNCTION_CHANGED_SUBJECT,
  decodeJson,
  parseFunctionChangedNotice,
} from '@canopy/contracts';
import type { FunctionChangedNotice, FunctionChangedReply } from '@canopy/contracts';
import { exampleFunctionDefinition } from '@canopy/contracts/testing';
import { REQUEST_ID_NATS_HEADER } from '@canopy/observability';
import type { Subscription } from '@nats-io/transport-node';
import { startGatewayHarness } from '../testing/gateway-harness.js';
import type { GatewayHarness } from '../testing/gateway-harness.js';

// The gateway in-process against real PostgreSQL and NATS, a stand-in for the leading scheduler on
// its subject: a function's change or deletion is answered once the leader has confirmed it, and
// still answered when no leader listens, when it refuses or when it does not answer in time.

let harness: GatewayHarness;
let token: string;

beforeAll(async () => {
  harness = await startGatewayHarness('gateway_function_changes', { ADMIN_PORT: '0' });
  token = await harness.tokenFor(await harness.createAccount('Changes'));
});

afterAll(async () => {
  await harness?.stop();
});

interface StandInLeader {
  /** The notices it took, in order. */
  readonly notices: FunctionChangedNotice[];
  /** The request id each carried (REQUEST_ID_NATS_HEADER). */
  readonly requestIds: (string | undefined)[];
  /** How many it has replied to. */
  replied(): number;
  stop(): void;
}

/** Listens as the leader would; `answer` is its reply to each notice (undefined: none at all). */
function standInLeader(
  answer: (notice: FunctionChangedNotice) => FunctionChangedReply | undefined,
  delayMs = 0,
): StandInLeader {
  const notices: FunctionChangedNotice[] = [];
  const requestIds: (string | undefined)[] = [];
  let replied = 0;
  const subscription: Subscription = harness.nats.subscribe(LEADER_FUNCTION_CHANGED_SUBJECT, {
    callback: (_error, message) => {
      const notice = parseFunctionChangedNotice(decodeJson(message.data, 'notice'));
      notices.push(notice);
      requestIds.push(message.headers?.get(REQUEST_ID_NATS_HEADER));
      const reply = answer(notice);
      if (reply === undefined) return;
      setTimeout(() => {
        replied += 1;
        message.respond(JSON.stringify(reply));
      }, delayMs);
    },
  });
  return { notices, requestIds, replied: () => replied, stop: () => subscription.unsubscribe() };
}

async function withLeader<T>(leader: StandInLeader, work: () => Promise<T>): Promise<T> {
  await harness.nats.flush();
  try {
    return await work();
  } finally {
    leader.stop();
  }
}

async function registerFunction(): Promise<string> {
  const response = await harness.request('/v1/function', {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(exampleFunctionDefinition),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { id: string }).id;
}

function patch(functionId: string, body: object, requestId?: string): Promise<Response> {
  return harness.request(`/v1/function/${functionId}`, {
    method: 'PATCH',
    token,
    headers: {
      'content-type': 'application/json',
      ...(requestId === undefined ? {} : { 'x-request-id': requestId }),
    },
    body: JSON.stringify(body),
  });
}

function remove(functionId: string, requestId?: string): Promise<Response> {
  return harness.request(`/v1/function/${functionId}`, {
    method: 'DELETE',
    token,
    ...(requestId === undefined ? {} : { headers: { 'x-request-id': requestId } }),
  });
}

async function noticeOutcomes(): Promise<Record<string, number>> {
  const text = await (await fetch(`${harness.gateway.adminUrl}/metrics`)).text();
  const counts: Record<string, number> = {};
  for (const [, outcome, count] of text.matchAll(
    /^canopy_gateway_function_change_notices_total\{outcome="(\w+)"\} (\d+)$/gm,
  )) {
    counts[outcome as string] = Number(count);
  }
  return counts;
}

test('a change and a deletion are answered once the leader has confirmed their version, with the request id', async () => {
  const functionId = await registerFunction();
  const before = await noticeOutcomes();
  const leader = standInLeader(({ version }) => ({ ok: true, version }), 200);
  await withLeader(leader, async () => {
    const changed = await patch(functionId, { description: 'louder' }, 'change-1');
    expect(changed.status).toBe(200);
    expect(leader.replied()).toBe(1);
    // Values equal to the current ones make no version: nobody is told.
    expect((await patch(functionId, { description: 'louder' })).status).toBe(200);
    const deleted = await remove(functionId, 'delete-1');
    expect(deleted.status).toBe(204);
    expect(leader.replied()).toBe(2);
  });
  expect(leader.notices).toEqual([
    { functionId, version: 2 },
    { functionId, version: 3 },
  ]);
  expect(leader.requestIds).toEqual(['change-1', 'delete-1']);
  expect(await noticeOutcomes()).toMatchObject({ answered: (before['answered'] ?? 0) + 2 });
});

test('with no leader listening, a change is answered as it was recorded', async () => {
  const functionId = await registerFunction();
  const before = await noticeOutcomes();
  const changed = await patch(functionId, { description: 'nobody hears' });
  expect(changed.status).toBe(200);
  expect(await changed.json()).toMatchObject({ description: 'nobody hears', version: 2 });
  expect((await remove(functionId)).status).toBe(204);
  expect(await noticeOutcomes()).toMatchObject({ no_leader: (before['no_leader'] ?? 0) + 2 });
});

test('a leader that refuses, or does not answer in time, does not keep a change from its answer', async () => {
  const functionId = await registerFunction();
  const before = await noticeOutcomes();
  const refusing = standInLeader(() => ({
    ok: false,
    error: { code: 'UNAVAILABLE', message: 'the event store does not answer' },
  }));
  await withLeader(refusing, async () => {
    expect((await patch(functionId, { description: 'refused' })).status).toBe(200);
  });
  const silent = standInLeader(() => undefined);
  await withLeader(silent, async () => {
    const changed = await patch(functionId, { description: 'unheard' });
    expect(changed.status).toBe(200);
    expect(await changed.json()).toMatchObject({ description: 'unheard', version: 3 });
  });
  expect(silent.notices).toEqual([{ functionId, version: 3 }]);
  expect(await noticeOutcomes()).toMatchObject({
    refused: (before['refused'] ?? 0) + 1,
    timed_out: (before['timed_out'] ?? 0) + 1,
  });
  const current = await harness.request(`/v1/function/${functionId}`, { token });
  expect(await current.json()).toMatchObject({ description: 'unheard', version: 3 });
});
