import { inSpan, originHeaders } from '@canopy/observability';
import { whyUnanswered } from '@canopy/service-runtime';
import type { MessageOrigin } from '@canopy/observability';
import { SpanKind, type Span } from '@opentelemetry/api';
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import { setTimeout as delay } from 'node:timers/promises';

// How the gateway asks the schedulers to record something (a task, a batch of tasks, a
// cancellation): a NATS request/reply, asked again with the same request (which a scheduler takes
// as the same command) until a scheduler answers for good or the time for it runs out. What an
// answer means, and what to do when none came in time, is the caller's.
//
// The first asking goes to the schedulers' queue group, which gives it to one replica. Asking again
// goes to every replica (the `again` subject): the queue group picks at random, and the replica that
// did not answer (paused, cut off from its database) would get about half the requests asked again
// of the group. Where nobody listens on the `again` subject (schedulers of a release before it) or
// the gateway may not publish there (credentials issued before it), the attempt goes to the queue
// group as before.
//
// Written by hand rather than with a retry library: the attempts are bounded by a deadline, not a
// count, each attempt's timeout shrinks with the time left, and a reply can be a reason to ask again.

/** Pause before asking again after a fast failure (no responders, NATS reconnecting). */
const RETRY_PAUSE_MS = 100;
/** NATS's default `max_payload`, used until the server has said otherwise. */
const DEFAULT_MAX_PAYLOAD_BYTES = 1_048_576;

/** One request to ask until it is answered. */
export interface SchedulerAsking<Reply> {
  /** The request's name, as problems name it: IssueTask, CancelTask. */
  readonly name: string;
  /** Where the first attempt goes: the schedulers' queue group. */
  readonly subject: string;
  /** Where the attempts after it go: every replica (see above). */
  readonly againSubject: string;
  /** What every attempt carries (request id, trace context): see {@link inRequestSpan}. */
  readonly headers: MsgHdrs | undefined;
  /** The longest one attempt may wait for its reply. */
  readonly longestAttemptMs: number;
  /** The request of the next attempt. */
  readonly payload: () => Uint8Array;
  /** The reply a scheduler sent; throws when it is none (and the request is asked again). */
  readonly parse: (data: Uint8Array) => Reply;
  /**
   * Undefined when the reply settles the request; otherwise why it is asked again (the scheduler
   * could not record it this time). May throw, to stop asking at once.
   */
  readonly unsettled: (reply: Reply) => string | undefined;
  /** Told before every new attempt. */
  readonly askingAgain: (attempt: number, problem: string) => void;
}

/** How asking ended: a reply that settles the request, or the time ran out. */
export type SchedulerAnswer<Reply> =
  | { readonly settled: true; readonly reply: Reply }
  | {
      readonly settled: false;
      /** Why the last attempt did not settle it. */
      readonly problem: string;
      /** A scheduler replied at least once (with a reason to ask again). */
      readonly replied: boolean;
      /** NATS said at least once that no scheduler listens. */
      readonly noResponders: boolean;
    };

type Attempt<Reply> =
  | { readonly answered: true; readonly reply: Reply }
  | {
      readonly answered: false;
      readonly why: ReturnType<typeof whyUnanswered>;
      readonly problem: string;
      readonly noResponders: boolean;
    };

export class SchedulerRequests {
  constructor(
    private readonly nats: NatsConnection,
    /** How long to keep asking before giving up. */
    private readonly timeoutMs: number,
  ) {}

  /** The largest message the NATS server takes. */
  get maxPayload(): number {
    return this.nats.info?.max_payload ?? DEFAULT_MAX_PAYLOAD_BYTES;
  }

  /** When asking that starts now must stop, on `performance.now()`'s clock. */
  deadline(): number {
    return performance.now() + this.timeoutMs;
  }

  /** Asks until a reply settles the request or `deadline` passes. */
  async askUntilAnswered<Reply>(
    asking: SchedulerAsking<Reply>,
    deadline = this.deadline(),
  ): Promise<SchedulerAnswer<Reply>> {
    let problem = 'no scheduler answered';
    let replied = false;
    let noResponders = false;
    for (let attempt = 1; ; attempt += 1) {
      const remainingMs = deadline - performance.now();
      if (remainingMs <= 0) break;
      // At least two attempts fit in the time there is: a lost reply is asked again.
      const attemptMs = Math.min(
        asking.longestAttemptMs,
        Math.ceil(this.timeoutMs / 2),
        remainingMs,
      );
      const outcome =
        attempt === 1
          ? await this.ask(asking, asking.subject, Math.max(1, attemptMs))
          : await this.askEveryReplica(asking, Math.max(1, attemptMs), deadline);
      if (outcome.answered) {
        replied = true;
        const again = asking.unsettled(outcome.reply);
        if (again === undefined) return { settled: true, reply: outcome.reply };
        problem = again;
      } else {
        problem = outcome.problem;
        noResponders ||= outcome.noResponders;
      }
      asking.askingAgain(attempt, problem);
      await delay(Math.min(RETRY_PAUSE_MS, Math.max(0, deadline - performance.now())));
    }
    return { settled: false, problem, replied, noResponders };
  }

  /**
   * An attempt after the first: of every replica, or of the queue group when the `again` subject is
   * not served or not allowed (a NATS error at once, not silence).
   */
  private async askEveryReplica<Reply>(
    asking: SchedulerAsking<Reply>,
    timeout: number,
    deadline: number,
  ): Promise<Attempt<Reply>> {
    const outcome = await this.ask(asking, asking.againSubject, timeout);
    if (outcome.answered || outcome.why === 'timed_out') return outcome;
    const remainingMs = Math.max(1, Math.min(timeout, deadline - performance.now()));
    return this.ask(asking, asking.subject, remainingMs);
  }

  /** One attempt: the reply, or why there is none. */
  private async ask<Reply>(
    asking: SchedulerAsking<Reply>,
    subject: string,
    timeout: number,
  ): Promise<Attempt<Reply>> {
    const { headers } = asking;
    try {
      const message = await this.nats.request(
        subject,
        asking.payload(),
        headers === undefined ? { timeout } : { timeout, headers },
      );
      return { answered: true, reply: asking.parse(message.data) };
    } catch (error) {
      const why = whyUnanswered(error);
      if (why === 'timed_out') {
        const problem = `no ${asking.name} reply in time`;
        return { answered: false, why, problem, noResponders: false };
      }
      if (why === 'no_responders') {
        const problem = `no scheduler is listening for ${asking.name} requests`;
        return { answered: false, why, problem, noResponders: true };
      }
      const problem = error instanceof Error ? error.message : String(error);
      return { answered: false, why, problem, noResponders: false };
    }
  }
}

/**
 * Runs `ask` in a CLIENT span named `name` for a request on `subject`, one span however often it is
 * asked, and gives it the headers every attempt carries: the HTTP request's id and the span's context.
 */
export function inRequestSpan<T>(
  name: string,
  subject: string,
  origin: MessageOrigin,
  ask: (headers: MsgHdrs | undefined, span: Span | undefined) => Promise<T>,
): Promise<T> {
  const options = {
    kind: SpanKind.CLIENT,
    attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject },
  };
  return inSpan(name, options, origin.trace, (span, trace) =>
    ask(originHeaders(trace === undefined ? origin : { ...origin, trace }), span),
  );
}
