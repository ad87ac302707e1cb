import type { NodeAck } from '@canopy/contracts';
import { NoRespondersError, RequestError } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { deliverReport } from './report-delivery.js';
import type { ReportDelivery } from './report-delivery.js';
import { resolveRetryPolicy } from './retry-policy.js';

type Answer = NodeAck | Error;

/** A connection whose requests get the scripted answers in turn (the last one repeats). */
function scriptedConnection(answers: readonly Answer[]): {
  connection: NatsConnection;
  sent: string[];
  subjects: string[];
} {
  const sent: string[] = [];
  const subjects: string[] = [];
  const connection = {
    isClosed: () => false,
    request: (subject: string, payload: string) => {
      subjects.push(subject);
      sent.push(payload);
      const answer = answers[Math.min(sent.length, answers.length) - 1];
      if (answer instanceof Error) return Promise.reject(answer);
      return Promise.resolve({ data: new TextEncoder().encode(JSON.stringify(answer)) });
    },
  };
  return { connection: connection as unknown as NatsConnection, sent, subjects };
}

const quickRetries = resolveRetryPolicy({ initialDelayMs: 1, maxDelayMs: 2 });
// Waits no test could sit through: a test passes only if something other than the wait ends it.
const endlessWaits = resolveRetryPolicy({ initialDelayMs: 600_000, maxDelayMs: 600_000 });

function delivery(
  connection: NatsConnection,
  overrides: Partial<ReportDelivery> = {},
): ReportDelivery {
  return {
    connection,
    subject: 'canopy.test.report',
    payload: '{"reportId":"r1"}',
    policy: quickRetries,
    signal: new AbortController().signal,
    ...overrides,
  };
}

const busy: NodeAck = { ok: false, error: { code: 'BUSY', message: 'later' }, retry: true };

describe('deliverReport', () => {
  test('retries lost and retryable requests with the same payload until acknowledged', async () => {
    const { connection, sent } = scriptedConnection([new Error('timeout'), busy, { ok: true }]);
    const retries: [number, string][] = [];
    const outcome = await deliverReport(
      delivery(connection, { onRetry: (retry, reason) => retries.push([retry, reason]) }),
    );
    expect(outcome).toEqual({ kind: 'acknowledged' });
    expect(sent).toEqual(['{"reportId":"r1"}', '{"reportId":"r1"}', '{"reportId":"r1"}']);
    expect(retries).toEqual([
      [1, 'Error: timeout'],
      [2, 'BUSY'],
    ]);
  });

  test('retries go to the again subject; where nobody listens there, to the report subject at once', async () => {
    const noResponders = new RequestError('no responders', {
      cause: new NoRespondersError('canopy.test.report.again'),
    });
    const { connection, subjects } = scriptedConnection([
      new Error('timeout'),
      busy,
      noResponders,
      { ok: true },
    ]);
    const outcome = await deliverReport(
      delivery(connection, { againSubject: 'canopy.test.report.again' }),
    );
    expect(outcome).toEqual({ kind: 'acknowledged' });
    expect(subjects).toEqual([
      'canopy.test.report',
      'canopy.test.report.again',
      'canopy.test.report.again',
      'canopy.test.report',
    ]);
  });

  test('an answer with retry: false is final', async () => {
    const error = { code: 'NOT_ASSIGNED', message: 'not yours' };
    const { connection, sent } = scriptedConnection([{ ok: false, error, retry: false }]);
    expect(await deliverReport(delivery(connection))).toEqual({ kind: 'refused', error });
    expect(sent).toHaveLength(1);
  });

  test('gives up after maxAttempts requests', async () => {
    const { connection, sent } = scriptedConnection([busy]);
    expect(await deliverReport(delivery(connection, { maxAttempts: 3 }))).toEqual({
      kind: 'abandoned',
    });
    expect(sent).toHaveLength(3);
  });

  test('aborting ends the wait before the next retry at once', async () => {
    const { connection, sent } = scriptedConnection([busy]);
    const controller = new AbortController();
    const outcome = await deliverReport(
      delivery(connection, {
        policy: endlessWaits,
        signal: controller.signal,
        onRetry: () => controller.abort(),
      }),
    );
    expect(outcome).toEqual({ kind: 'abandoned' });
    expect(sent).toHaveLength(1);
  });

  test('a superseded report is not retried', async () => {
    const { connection, sent } = scriptedConnection([busy]);
    let superseded = false;
    const outcome = await deliverReport(
      delivery(connection, {
        superseded: () => superseded,
        onRetry: () => {
          superseded = true;
        },
      }),
    );
    expect(outcome).toEqual({ kind: 'abandoned' });
    expect(sent).toHaveLength(1);
  });
});
