import { randomUUID } from 'node:crypto';
import { eventually } from '@canopy/async-testing';
import { nodeReportKinds, nodeReportSubject, taskStreamId } from '@canopy/contracts';
import type { NodeReportKind } from '@canopy/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import fc from 'fast-check';
import { openEventLog } from './testing/event-log.js';
import type { EventLog } from './testing/event-log.js';
import { fuzzReplay } from './testing/fuzz-replay.js';
import { stackForFile } from './testing/stack-for-file.js';

// A node is someone else's machine: whatever it sends on its own subjects, the scheduler answers
// with a refusal naming the reason, appends nothing for it, keeps the node's connection usable, and
// never lets it report for a task another node holds.

const e2e = stackForFile({
  label: 'hostile_nats',
  logLevel: 'info',
  keepAllOutput: true,
  // Queued tasks must not fail with NO_RUNNER while the properties count appended events.
  schedulerEnv: { SCHEDULER_PENDING_DEADLINE_SECONDS: '3600' },
});

const runs = Number(process.env['CANOPY_FUZZ_RUNS'] ?? 1000);
// A failure prints its seed and path: CANOPY_FUZZ_SEED and CANOPY_FUZZ_PATH replay it.
const replay = fuzzReplay(process.env);
const intruderId = 'intruder-1';
const encoder = new TextEncoder();
const decoder = new TextDecoder();

let events: EventLog;
let intruder: NatsConnection;
let token: string;
let functionId: string;
let heldTaskId: string;

interface Reply {
  readonly ok?: unknown;
  readonly error?: { code?: unknown; message?: unknown };
  readonly retry?: unknown;
}

async function report(kind: NodeReportKind, payload: Uint8Array): Promise<Reply> {
  const message = await intruder.request(nodeReportSubject(intruderId, kind), payload, {
    timeout: 10_000,
  });
  return JSON.parse(decoder.decode(message.data)) as Reply;
}

const json = (value: unknown) => encoder.encode(JSON.stringify(value));

beforeAll(async () => {
  const { stack } = e2e;
  await stack.startNode({ slots: 1 });
  const signedUp = await stack.signUp('hostile-nats');
  token = signedUp.token;
  functionId = await stack.registerFunction(token, {
    name: 'slow echo',
    runtime: { kind: 'process', command: 'sh', args: ['-c', 'sleep 4; cat'] },
  });
  events = await openEventLog(stack.databaseUrl);
  intruder = await stack.connectAsNode(intruderId);
}, 120_000);

afterAll(async () => {
  await intruder?.close();
  await events?.close();
});

e2e.test(
  'a node cannot report progress or a result for a task another node holds',
  async (stack) => {
    const issued = await stack.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
      method: 'POST',
      token,
      json: { genuine: true },
    });
    expect(issued.status).toBe(201);
    heldTaskId = issued.body.id;
    await eventually(async () => {
      const task = await stack.requestJson<{ node: string | null }>(`/v1/task/${heldTaskId}`, {
        token,
      });
      expect(task.body.node).not.toBeNull();
    }, 30_000);
    const streamBefore = await stack.store.readStream(taskStreamId(heldTaskId));

    const progress = await report(
      'progress',
      json({ reportId: randomUUID(), taskId: heldTaskId, attempt: 1, progress: 99 }),
    );
    const result = await report(
      'result',
      json({
        reportId: randomUUID(),
        taskId: heldTaskId,
        attempt: 1,
        response: {
          status: 200,
          contentType: 'application/json',
          headers: {},
          body: Buffer.from('{"forged":true}').toString('base64'),
        },
      }),
    );
    expect([progress, result]).toEqual([
      expect.objectContaining({ ok: false, retry: false }),
      expect.objectContaining({ ok: false, retry: false }),
    ]);
    expect(await stack.store.readStream(taskStreamId(heldTaskId))).toEqual(streamBefore);

    // The node that holds the task finishes it with the function's own answer.
    const answer = await stack.request(`/v1/task/${heldTaskId}/result?wait=30`, { token });
    expect({ status: answer.status, body: await answer.text() }).toEqual({
      status: 200,
      body: '{"genuine":true}',
    });
  },
);

/** Payloads for one report kind: garbage, wrong shapes, and well-shaped reports with hostile values. */
function hostilePayload(): fc.Arbitrary<{
  kind: NodeReportKind;
  payload: Uint8Array;
  label: string;
}> {
  const shaped = fc.record(
    {
      reportId: fc.oneof(fc.uuid(), fc.string()),
      taskId: fc.oneof(
        fc.constant(heldTaskId),
        fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 24, maxLength: 24 }),
        fc.string(),
      ),
      attempt: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double(), fc.string()),
      progress: fc.oneof(fc.integer({ min: -200, max: 200 }), fc.constant(1e308)),
      response: fc.oneof(
        fc.record({
          status: fc.integer({ min: 0, max: 1000 }),
          contentType: fc.option(fc.string()),
          headers: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())),
          body: fc.oneof(fc.base64String(), fc.string()),
        }),
        fc.jsonValue(),
      ),
      nodeId: fc.oneof(fc.constant('someone-else'), fc.string()),
      freeSlots: fc.integer({ min: -3, max: 1_000_000 }),
      runningTasks: fc.jsonValue(),
      sentAt: fc.oneof(
        fc.string(),
        fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
      ),
    },
    { requiredKeys: [] },
  );
  const payload = fc.oneof(
    shaped.map((value) => ({ payload: json(value), label: 'shaped' })),
    fc.uint8Array({ maxLength: 4096 }).map((bytes) => ({ payload: bytes, label: 'random bytes' })),
    fc.jsonValue({ maxDepth: 5 }).map((value) => ({ payload: json(value), label: 'json value' })),
    fc.integer({ min: 1_000, max: 300_000 }).map((depth) => ({
      payload: encoder.encode(`${'['.repeat(depth)}${']'.repeat(depth)}`),
      label: `nested ${depth}`,
    })),
    fc.constant({
      payload: json({ taskId: heldTaskId, padding: 'x'.repeat(900_000) }),
      label: 'near the payload limit',
    }),
    fc.constantFrom('', '{', 'null', '\xff\xfe', '{"ok":true}').map((text) => ({
      payload: Uint8Array.from(text, (char) => char.charCodeAt(0)),
      label: 'edge',
    })),
  );
  // Announcements are left to shapes no node could mean: a valid one would (rightly) enrol the
  // intruder as a node, and these properties are about refusals.
  return fc
    .tuple(fc.constantFrom(...nodeReportKinds), payload)
    .filter(([kind, { label }]) => kind !== 'announce' || label !== 'shaped')
    .map(([kind, { payload: bytes, label }]) => ({ kind, payload: bytes, label }));
}

e2e.test(
  'malformed or foreign reports are refused with a reason, append nothing, and leave the connection usable',
  async (stack) => {
    expect(heldTaskId).toBeDefined();
    await fc.assert(
      fc.asyncProperty(hostilePayload(), async ({ kind, payload, label }) => {
        const before = await events.head();
        const reply = await report(kind, payload);
        const what = `${kind} (${label}, ${payload.length} bytes)`;
        if (reply.ok === true) return;
        if (reply.ok !== false || typeof reply.error?.code !== 'string') {
          throw new Error(
            `${what} got a reply that is neither an ack nor a refusal: ${JSON.stringify(reply)}`,
          );
        }
        const appended = await events.since(before);
        if (appended.length > 0) {
          throw new Error(
            `${what} was refused (${reply.error.code}) yet these events were appended: ${appended.join(', ')}`,
          );
        }
      }),
      { numRuns: runs, endOnFailure: true, ...replay },
    );
    expect(intruder.isClosed()).toBe(false);
    // The connection still carries requests, and the scheduler said why it refused.
    const heartbeat = await report('heartbeat', json({}));
    expect(heartbeat).toEqual(expect.objectContaining({ ok: false }));
    expect(stack.allOutput()).toMatch(
      /node report refused.*"reason"|"reason".*node report refused/,
    );
  },
  600_000,
);

e2e.test('every service is still up and a task still runs end to end', async (stack) => {
  expect(stack.outputTails(1)).not.toMatch(/\(exited\)/);
  const issued = await stack.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
    method: 'POST',
    token,
    json: { after: 'fuzzing' },
  });
  expect(issued.status).toBe(201);
  const answer = await stack.request(`/v1/task/${issued.body.id}/result?wait=30`, { token });
  expect({ status: answer.status, body: await answer.text() }).toEqual({
    status: 200,
    body: '{"after":"fuzzing"}',
  });
});
