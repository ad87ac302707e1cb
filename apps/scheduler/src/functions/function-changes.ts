import {
  LEADER_FUNCTION_CHANGED_SUBJECT,
  decodeJson,
  parseFunctionChangedNotice,
} from '@canopy/contracts';
import type { FunctionChangedReply } from '@canopy/contracts';
import { originOfHeaders } from '@canopy/observability';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import type { InFlightWork } from '../transport/in-flight-work.js';
import { LeaderOnlySubscriptions } from '../transport/leader-only-subscriptions.js';
import { failureReplyOf } from '../transport/rpc-reply-filter.js';
import type { FunctionDefinitions } from './function-definitions.js';

export interface FunctionChangesOptions {
  readonly functions: Pick<FunctionDefinitions, 'catchUp'>;
  readonly work: InFlightWork;
  readonly logger: ServiceLogger;
  readonly isLeader: () => boolean;
}

/**
 * The leader's side of a function change answered through a gateway: the gateway tells the leader
 * the version the function's stream is at (LEADER_FUNCTION_CHANGED_SUBJECT) before it answers the
 * change, and the leader replies once the function it issues tasks against is at that version, read
 * from the stream when its subscription has not delivered it yet. A client that issues a task after
 * its PATCH or DELETE was answered gets the new version, or a 404. Only the leader listens: it
 * decides every issue a standby hands on.
 */
export class FunctionChanges {
  private readonly listening: LeaderOnlySubscriptions;

  constructor(private readonly options: FunctionChangesOptions) {
    this.listening = new LeaderOnlySubscriptions({
      subjects: [{ subject: LEADER_FUNCTION_CHANGED_SUBJECT, serve: (msg) => this.serve(msg) }],
      isLeader: options.isLeader,
      logger: options.logger,
      what: 'function changes',
    });
  }

  attach(connection: NatsConnection): void {
    this.listening.attach(connection);
  }

  leadershipChanged(): void {
    this.listening.leadershipChanged();
  }

  private serve(msg: Msg): void {
    const { functions, work, logger } = this.options;
    void work
      .run(async (): Promise<FunctionChangedReply> => {
        const notice = parseFunctionChangedNotice(decodeJson(msg.data, 'FunctionChanged notice'));
        return { ok: true, version: await functions.catchUp(notice.functionId, notice.version) };
      })
      .catch((error: unknown) =>
        failureReplyOf(error, logger, {
          what: 'FunctionChanged',
          requestId: originOfHeaders(msg.headers).requestId,
        }),
      )
      .then((reply) => {
        try {
          msg.respond(JSON.stringify(reply));
        } catch (error) {
          logger.warn({ reason: String(error) }, 'could not answer a FunctionChanged notice');
        }
      });
  }
}
