import {
  LEADER_FUNCTION_CHANGED_SUBJECT,
  decodeJson,
  parseFunctionChangedNotice,
  parseFunctionChangedReply,
} from '@canopy/contracts';
import type { ServiceLogger } from '@canopy/service-runtime';
import { RequestError, TimeoutError } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { Counter, type Registry } from 'prom-client';

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
  /** The function's stream is at `version` now; resolves when the change may be answered. */
  changed(functionId: string, version: number): Promise<void>;
}

/** For a gateway without schedulers to tell (tests of the HTTP layer alone). */
export const nobodyListens: FunctionChangeListener = { changed: () => Promise.resolve() };

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
      help: 'Function changes told to the leading scheduler before they were answered, by how the telling ended (only "answered" waited for the leader)',
      labelNames: ['outcome'],
      registers: [registry],
    });
    for (const outcome of outcomes) this.notices.inc({ outcome }, 0);
  }

  async changed(functionId: string, version: number): Promise<void> {
    const notice = parseFunctionChangedNotice({ functionId, version });
    let outcome: FunctionChangeNoticeOutcome;
    try {
      const message = await this.nats.request(
        LEADER_FUNCTION_CHANGED_SUBJECT,
        JSON.stringify(notice),
        { timeout: this.timeoutMs },
      );
      const reply = parseFunctionChangedReply(decodeJson(message.data, 'FunctionChanged reply'));
      outcome = reply.ok ? 'answered' : 'refused';
      if (!reply.ok) {
        this.logger.warn(
          { functionId, version, code: reply.error.code, reason: reply.error.message },
          'the leading scheduler could not take in a function change; answering it anyway',
        );
      }
    } catch (error) {
      outcome =
        error instanceof TimeoutError
          ? 'timed_out'
          : error instanceof RequestError && error.isNoResponders()
            ? 'no_leader'
            : 'failed';
      if (outcome !== 'no_leader') {
        this.logger.warn(
          {
            functionId,
            version,
            outcome,
            reason: error instanceof Error ? error.message : String(error),
          },
          'the leading scheduler did not confirm a function change; answering it anyway',
        );
      }
    }
    this.notices.inc({ outcome });
  }
}
