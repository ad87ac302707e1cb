import { setTimeout } from 'node:timers/promises';
import {
  UNKNOWN_NODE,
  decodeJson,
  nodeReportSubject,
  parseAnnouncementReply,
  parseHeartbeatReply,
} from '@canopy/contracts';
import type { NodeAnnouncement, NodeHeartbeat } from '@canopy/contracts';
import type { NatsConnection } from '@nats-io/transport-node';
import { errorSummary } from './node-logger.js';
import type { NodeLogger } from './node-logger.js';
import { retryWaitsMs } from './retry-policy.js';
import type { RetryPolicy } from './retry-policy.js';

export interface Presence {
  readonly connection: NatsConnection;
  readonly nodeId: string;
  readonly policy: RetryPolicy;
  readonly logger: NodeLogger;
  /** Ends the loop (between requests). */
  readonly signal: AbortSignal;
  /** Built fresh for every announcement, so it carries the attempts running at that moment. */
  readonly announcement: () => NodeAnnouncement;
  readonly heartbeat: () => NodeHeartbeat;
  /** Called after every accepted announcement. */
  readonly onAnnounced: (terms: {
    heartbeatIntervalMs: number;
    heartbeatTimeoutMs: number;
  }) => void;
}

type HeartbeatOutcome = 'alive' | 'unknown-node';

/**
 * Keeps the node known to the scheduler until `signal` aborts: announce (retrying with backoff until
 * answered `ok`), then heartbeat at the interval the scheduler named; a heartbeat answered
 * UNKNOWN_NODE starts over with an announcement. Never rejects.
 */
export async function keepPresence(presence: Presence): Promise<void> {
  while (!presence.signal.aborted) {
    const terms = await announceUntilAccepted(presence);
    if (terms === undefined) return;
    presence.onAnnounced(terms);
    let next = performance.now() + terms.heartbeatIntervalMs;
    while (!presence.signal.aborted) {
      // Paced from the previous send, so a slow reply does not stretch the interval.
      const waitMs = Math.max(0, next - performance.now());
      // Rejects only when aborted, which ends the loop here.
      await setTimeout(waitMs, undefined, { signal: presence.signal }).catch(() => undefined);
      if (presence.signal.aborted) return;
      next = performance.now() + terms.heartbeatIntervalMs;
      const outcome = await sendHeartbeat(
        presence,
        Math.min(presence.policy.requestTimeoutMs, terms.heartbeatIntervalMs),
      );
      if (outcome === 'unknown-node') break;
    }
  }
}

async function announceUntilAccepted(
  presence: Presence,
): Promise<{ heartbeatIntervalMs: number; heartbeatTimeoutMs: number } | undefined> {
  const { connection, nodeId, policy, logger, signal } = presence;
  const subject = nodeReportSubject(nodeId, 'announce');
  const waits = retryWaitsMs(policy);
  for (let retry = 1; ; retry += 1) {
    if (signal.aborted) return undefined;
    const announcement = presence.announcement();
    try {
      const reply = parseAnnouncementReply(
        decodeJson(
          (
            await connection.request(subject, JSON.stringify(announcement), {
              timeout: policy.requestTimeoutMs,
            })
          ).data,
          'announcement reply',
        ),
      );
      if (reply.ok) {
        logger.info(
          {
            heartbeatIntervalMs: reply.heartbeatIntervalMs,
            runningTasks: announcement.runningTasks.length,
          },
          'announced to the scheduler',
        );
        return {
          heartbeatIntervalMs: reply.heartbeatIntervalMs,
          heartbeatTimeoutMs: reply.heartbeatTimeoutMs,
        };
      }
      logger.warn(
        { retry, code: reply.error.code, problem: reply.error.message },
        'the scheduler refused the announcement; retrying',
      );
    } catch (error) {
      logger.warn({ retry, reason: errorSummary(error) }, 'announcement not answered; retrying');
    }
    // Rejects only when aborted, which the check above sees.
    await setTimeout(waits.next().value, undefined, { signal }).catch(() => undefined);
  }
}

async function sendHeartbeat(presence: Presence, timeoutMs: number): Promise<HeartbeatOutcome> {
  const { connection, nodeId, logger } = presence;
  try {
    const reply = parseHeartbeatReply(
      decodeJson(
        (
          await connection.request(
            nodeReportSubject(nodeId, 'heartbeat'),
            JSON.stringify(presence.heartbeat()),
            { timeout: timeoutMs },
          )
        ).data,
        'heartbeat reply',
      ),
    );
    if (reply.ok) return 'alive';
    if (reply.error.code === UNKNOWN_NODE) {
      logger.info({}, 'the scheduler does not know this node (any more); announcing again');
      return 'unknown-node';
    }
    logger.warn(
      { code: reply.error.code, problem: reply.error.message },
      'the scheduler refused a heartbeat',
    );
  } catch (error) {
    // The next heartbeat is the retry: resending a stale one would only carry outdated slots.
    logger.warn({ reason: errorSummary(error) }, 'heartbeat not answered');
  }
  return 'alive';
}
