import type { PostgresLeases } from './postgres-leases.js';

/** Who this process is in a leadership: the leader (under an epoch) or a standby. */
export type LeadershipRole =
  { readonly role: 'leader'; readonly epoch: number } | { readonly role: 'standby' };

/** Where a leadership reports what happens to it; pino-compatible. */
export interface LeadershipLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

export interface LeadershipOptions {
  readonly leases: PostgresLeases;
  /** The leadership's name, the same for every replica (for example `scheduler`). */
  readonly name: string;
  /** This process, as the lease row and the logs show it; unique among the replicas. */
  readonly holder: string;
  /** How long a lease lasts without renewal: how soon a standby takes over from a dead leader. */
  readonly ttlMs: number;
  readonly logger: LeadershipLogger;
  /** Told of every change of role, after it happened. */
  readonly onChange?: (role: LeadershipRole) => void;
  /** The monotonic clock, in ms (tests may pass their own). */
  readonly now?: () => number;
}

/**
 * Part of the lease this process does not count on: the lease runs from when the database renewed
 * it, which is after the request left, and clocks run at slightly different rates.
 */
const SAFETY_MARGIN_FRACTION = 0.1;

/**
 * One replica's part in a leadership held as a lease with a time to live in PostgreSQL. A standby
 * tries to take the lease every `ttlMs / 6`; the leader renews it every `ttlMs / 3` and gives it up
 * when it stops, so a standby takes over within `ttlMs / 6` of a graceful stop and within about
 * `ttlMs` of the leader's death.
 *
 * The leader fences itself: it counts its lease from the moment it sent the renewal that extended
 * it, minus a margin, on its own monotonic clock, and stops calling itself leader when that runs out
 * whatever else happens (the database unreachable, the process paused and resumed). Every
 * acquisition increments the epoch, which the leader puts on what it does (offers, recorded
 * assignments), so that whatever a deposed leader still sends can be recognised and refused.
 */
export class Leadership {
  private current: LeadershipRole = { role: 'standby' };
  /** Monotonic time until which the leader may act; meaningful only while leading. */
  private validUntil = 0;
  private lastRenewalSent = 0;
  private timer: NodeJS.Timeout | undefined;
  private expiry: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private lastFailureLogged = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;

  constructor(private readonly options: LeadershipOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** The epoch while this process may act as the leader; undefined otherwise. */
  get epoch(): number | undefined {
    if (this.current.role !== 'leader') return undefined;
    if (this.now() >= this.validUntil) {
      this.depose('the lease ran out before it was renewed');
      return undefined;
    }
    return this.current.epoch;
  }

  get isLeader(): boolean {
    return this.epoch !== undefined;
  }

  get role(): LeadershipRole {
    return this.isLeader ? this.current : { role: 'standby' };
  }

  /**
   * The store refused something this replica decided under `epoch` because the lease is no longer
   * held at it (another replica took over while this one was paused, say): stop leading now rather
   * than at the next renewal.
   */
  fenced(epoch: number): void {
    if (this.current.role === 'leader' && this.current.epoch === epoch) {
      this.depose('the event store refused an append under this epoch');
    }
  }

  /** The lease this replica's decisions depend on while it leads, for fenced appends. */
  get name(): string {
    return this.options.name;
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops campaigning; a leader gives its lease up first, so a standby can take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
    const { current } = this;
    this.depose('stopping');
    if (current.role === 'leader') {
      await this.options.leases
        .release(this.options.name, this.options.holder, current.epoch)
        .catch((error: unknown) =>
          this.options.logger.warn(
            { leadership: this.options.name, reason: String(error) },
            'could not give the lease up; a standby takes over when it expires',
          ),
        );
    }
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.inFlight = this.step().finally(() => {
        this.inFlight = undefined;
        this.schedule(this.options.ttlMs / 6);
      });
    }, delayMs);
  }

  private async step(): Promise<void> {
    const { leases, name, holder, ttlMs } = this.options;
    try {
      const epoch = this.epoch;
      if (epoch === undefined) {
        const sentAt = this.now();
        const acquired = await leases.acquire(name, holder, ttlMs);
        if (acquired !== undefined && !this.stopped) this.elect(acquired, sentAt);
        return;
      }
      if (this.now() - this.lastRenewalSent < ttlMs / 3) return;
      const sentAt = this.now();
      this.lastRenewalSent = sentAt;
      if (await leases.renew(name, holder, epoch, ttlMs)) this.extend(sentAt);
      else this.depose('another replica holds the lease now');
    } catch (error) {
      // The database is away: a leader keeps its role until its lease runs out (it can record
      // nothing meanwhile anyway), a standby simply tries again.
      if (this.now() - this.lastFailureLogged > ttlMs) {
        this.lastFailureLogged = this.now();
        this.options.logger.warn(
          { leadership: name, reason: String(error) },
          'could not reach the lease; trying again',
        );
      }
    }
  }

  private elect(epoch: number, sentAt: number): void {
    this.current = { role: 'leader', epoch };
    this.lastRenewalSent = sentAt;
    this.extend(sentAt);
    this.options.logger.info(
      { leadership: this.options.name, holder: this.options.holder, epoch },
      'leading',
    );
    this.options.onChange?.(this.current);
  }

  private extend(sentAt: number): void {
    const { ttlMs } = this.options;
    this.validUntil = sentAt + ttlMs * (1 - SAFETY_MARGIN_FRACTION);
    clearTimeout(this.expiry);
    // Nobody may be asking for the epoch when the lease runs out: say so anyway.
    this.expiry = setTimeout(() => void this.epoch, Math.max(0, this.validUntil - this.now()) + 1);
  }

  private depose(reason: string): void {
    clearTimeout(this.expiry);
    if (this.current.role !== 'leader') return;
    const { epoch } = this.current;
    this.current = { role: 'standby' };
    this.options.logger.info({ leadership: this.options.name, epoch, reason }, 'no longer leading');
    this.options.onChange?.(this.current);
  }
}
