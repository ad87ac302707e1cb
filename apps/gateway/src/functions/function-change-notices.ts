import {
  LEADER_FUNCTION_CHANGED_SUBJECT,
  decodeJson,
  parseFunctionChangedNotice,
  parseFunctionChangedReply,
} from '@canopy/contracts';
import { whyUnanswered } from '@canopy/service-runtime';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { MessageOrigin } from '@canopy/observability';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { Counter, type Registry } from 'prom-client';
import { inRequestSpan } from '../tasks/scheduler-requests.js';

/** How a notice to the leading scheduler ended. */
export type FunctionChangeNoticeOutcome =
  'answered' | 'no_leader' | 'timed_out' | 'refused' | 'failed';

const outcomes: readonly FunctionChangeNoticeOutcome[] = [
  'answered',
  'no_leader',
  'timed_out',
  'refused',
  'failed',
];

/** What the function routes tell of a change they recorded, before they answer it. */
export interface FunctionChangeListener {
  /**
   * The function's stream is at `version` now; resolves when the change may be answered. `origin`:
   * the HTTP request's id and trace, carried on to the scheduler.
   */
  changed(functionId: string, version: number, origin: MessageOrigin): Promise<void>;
}

/**
 * Tells the leading scheduler of a function's change or deletion (LEADER_FUNCTION_CHANGED_SUBJECT)
 * and waits for its reply, so that the change is answered only once the leader issues tasks against
 * it: a task issued after a PATCH's 200 runs the new version, and one issued after a DELETE's 204 is
 * a 404, whichever gateway takes it. The change is recorded either way: without a leader (NATS says
 * so at once), or without a reply within `timeoutMs`, it is answered all the same, and the schedulers
 * learn of it through their subscription to the function streams a moment later.
 */
export class LeaderFunctionChangeNotices implements FunctionChangeListener {
  private readonly notices: Counter<'outcome'>;

  constructor(
    private readonly nats: NatsConnection,
    private readonly logger: ServiceLogger,
    registry: Registry,
    private readonly timeoutMs: number,
  ) {
    this.notices = new Counter({
      name: 'canopy_gateway_function_change_notices_total',
      help: 'Function changes told to the leading scheduler before they were answered, by how that ended (all but "answered" were answered without the leader\'s confirmation)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    for (const outcome of outcomes) this.notices.inc({ outcome }, 0);
  }

  async changed(functionId: string, version: number, origin: MessageOrigin): Promise<void> {
    const notice = JSON.stringify(parseFunctionChangedNotice({ functionId, version }));
    const subject = LEADER_FUNCTION_CHANGED_SUBJECT;
    const outcome = await inRequestSpan(
      'FunctionChanged',
      subject,
      origin,
      async (headers, span) => {
        span?.setAttribute('canopy.function.id', functionId);
        const timeout = this.timeoutMs;
        const told = await this.tell(
          () =>
            this.nats.request(
              subject,
              notice,
              headers === undefined ? { timeout } : { timeout, headers },
            ),
          { functionId, version, requestId: origin.requestId },
        );
        span?.setAttribute('canopy.function_change.outcome', told);
        return told;
      },
    );
    this.notices.inc({ outcome });
  }

  private async tell(
    request: () => Promise<Msg>,
    about: { functionId: string; version: number; requestId: string | undefined },
  ): Promise<FunctionChangeNoticeOutcome> {
    let outcome: FunctionChangeNoticeOutcome;
    try {
      const message = await request();
      const reply = parseFunctionChangedReply(decodeJson(message.data, 'FunctionChanged reply'));
      outcome = reply.ok ? 'answered' : 'refused';
      if (!reply.ok) {
        this.logger.warn(
          { ...about, code: reply.error.code, reason: reply.error.message },
          'the leading scheduler could not take in a function change; answering it anyway',
        );
      }
    } catch (error) {
      const why = whyUnanswered(error);
      outcome = why === 'no_responders' ? 'no_leader' : why;
      if (outcome !== 'no_leader') {
        this.logger.warn(
          {
            ...about,
            outcome,
            reason: error instanceof Error ? error.message : String(error),
          },
          'the leading scheduler did not confirm a function change; answering it anyway',
        );
      }
    }
    return outcome;
  }
}
