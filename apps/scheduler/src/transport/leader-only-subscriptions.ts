import type { ServiceLogger } from '@canopy/service-runtime';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';

/** A subject only the leading replica listens on, and what serves its messages there. */
export interface LeaderSubject {
  readonly subject: string;
  readonly serve: (msg: Msg) => void;
}

export interface LeaderOnlySubscriptionsOptions {
  readonly subjects: readonly LeaderSubject[];
  readonly isLeader: () => boolean;
  readonly logger: ServiceLogger;
  /** What the subjects carry, as the log line of a failed subscription names it. */
  readonly what: string;
}

/**
 * Subscriptions a replica holds while it leads, and only then: a request on one of the subjects
 * reaches the leader or, when no replica leads, no one (the sender hears "no responders" at once).
 * Told of every change of role; idempotent.
 */
export class LeaderOnlySubscriptions {
  private connection: NatsConnection | undefined;
  private subscriptions: Subscription[] = [];

  constructor(private readonly options: LeaderOnlySubscriptionsOptions) {}

  /** Once connected: from then on the replica listens on the subjects while it leads. */
  attach(connection: NatsConnection): void {
    this.connection = connection;
    this.leadershipChanged();
  }

  /** Listens on the subjects when this replica leads, and not when it does not. */
  leadershipChanged(): void {
    const connection = this.connection;
    if (connection === undefined) return;
    const leading = this.options.isLeader();
    if (leading && this.subscriptions.length === 0 && !connection.isClosed()) {
      try {
        for (const { subject, serve } of this.options.subjects) {
          this.subscriptions.push(
            connection.subscribe(subject, {
              callback: (error, msg) => {
                if (error === null) serve(msg);
              },
            }),
          );
        }
      } catch (error) {
        // A connection draining as the scheduler stops: no replica leads from here.
        for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
        this.options.logger.warn(
          { reason: String(error) },
          `could not listen for ${this.options.what}`,
        );
      }
    } else if (!leading && this.subscriptions.length > 0) {
      for (const subscription of this.subscriptions) subscription.unsubscribe();
      this.subscriptions = [];
    }
  }
}
