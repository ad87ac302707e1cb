import { setTimeout } from 'node:timers/promises';
import { decodeJson, parseNodeAck } from '@canopy/contracts';
import type { ReplyError } from '@canopy/contracts';
import { RequestError } from '@nats-io/transport-node';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { errorSummary } from './node-logger.js';
import { retryWaitsMs } from './retry-policy.js';
import type { RetryPolicy } from './retry-policy.js';

export type DeliveryOutcome =
  | { readonly kind: 'acknowledged' }
  /** The scheduler answered `retry: false`: the report is final, however it was received. */
  | { readonly kind: 'refused'; readonly error: ReplyError }
  /** The sender stopped trying (node stopping, report superseded, attempt cancelled, connection closed). */
  | { readonly kind: 'abandoned' };

export interface ReportDelivery {
  readonly connection: NatsConnection;
  readonly subject: string;
  /**
   * Where the retries go, when the report has such a subject: every scheduler replica hears it (see
   * nodeReportAgainSubject). A retry nobody listens to there (schedulers of a release before it)
   * goes to `subject` at once.
   */
  readonly againSubject?: string;
  /** The report's JSON; the same bytes (and so the same reportId) on every retry. */
  readonly payload: string;
  /** Sent with every attempt: the run's trace context. */
  readonly headers?: MsgHdrs | undefined;
  readonly policy: RetryPolicy;
  /** Aborting it ends the retries (a request already on the wire is still answered). */
  readonly signal: AbortSignal;
  /** Checked before every attempt: true when a newer report makes this one pointless. */
  readonly superseded?: () => boolean;
  /** Give up (abandoned) after this many requests; unbounded by default. */
  readonly maxAttempts?: number;
  /** Called for each failed attempt, with a short reason, before waiting to retry. */
  readonly onRetry?: (retry: number, reason: string) => void;
}

/**
 * Sends a node → scheduler request until the scheduler acknowledges it, waiting longer and longer
 * between attempts (see {@link RetryPolicy}). Lost requests, lost replies, "no responders", unreadable
 * acks and `{ ok: false, retry: true }` are all retried, on `againSubject` when there is one; the
 * scheduler deduplicates by report id.
 */
export async function deliverReport(delivery: ReportDelivery): Promise<DeliveryOutcome> {
  const { connection, subject, againSubject, payload, policy, signal } = delivery;
  const waits = retryWaitsMs(policy);
  const timeout = policy.requestTimeoutMs;
  const { headers } = delivery;
  const ask = (to: string) =>
    connection.request(to, payload, headers === undefined ? { timeout } : { timeout, headers });
  for (let attempt = 1; ; attempt += 1) {
    if (signal.aborted || delivery.superseded?.() === true || connection.isClosed()) {
      return { kind: 'abandoned' };
    }
    let reason: string;
    try {
      const reply =
        attempt === 1 || againSubject === undefined
          ? await ask(subject)
          : await ask(againSubject).catch((error: unknown) => {
              if (!(error instanceof RequestError && error.isNoResponders())) throw error;
              return ask(subject);
            });
      const ack = parseNodeAck(decodeJson(reply.data, 'node ack'));
      if (ack.ok) return { kind: 'acknowledged' };
      if (!ack.retry) return { kind: 'refused', error: ack.error };
      reason = ack.error.code;
    } catch (error) {
      reason = errorSummary(error);
    }
    if (attempt >= (delivery.maxAttempts ?? Infinity)) return { kind: 'abandoned' };
    delivery.onRetry?.(attempt, reason);
    // Rejects only when aborted, which the check above then turns into 'abandoned'.
    await setTimeout(waits.next().value, undefined, { signal }).catch(() => undefined);
  }
}
