/** One thing a service needs to do its job: resolves when it holds, throws (saying why) when not. */
export interface ReadinessCheck {
  /** Bounded and stable: it is a metric label and a key of `/readyz`'s body (`database`, `nats`...). */
  readonly name: string;
  check(): Promise<void> | void;
}

export interface CheckOutcome {
  readonly status: 'up' | 'down';
  /** Why it is down. */
  readonly reason?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, CheckOutcome>>;
}

/** A check that does not settle within this long counts as down: a probe must answer in time. */
export const DEFAULT_CHECK_TIMEOUT_MS = 2_000;

/**
 * What `/readyz` answers: every check of the service, run together, each bounded in time. Ready when
 * all are up. Liveness (`/healthz`) is the process answering at all and needs no check.
 */
export class Readiness {
  private readonly checks: ReadinessCheck[] = [];

  constructor(private readonly timeoutMs = DEFAULT_CHECK_TIMEOUT_MS) {}

  add(...checks: readonly ReadinessCheck[]): this {
    this.checks.push(...checks);
    return this;
  }

  get names(): readonly string[] {
    return this.checks.map((check) => check.name);
  }

  async evaluate(): Promise<ReadinessReport> {
    const outcomes = await Promise.all(
      this.checks.map(async (check) => [check.name, await this.run(check)] as const),
    );
    return {
      ready: outcomes.every(([, outcome]) => outcome.status === 'up'),
      checks: Object.fromEntries(outcomes),
    };
  }

  private async run(check: ReadinessCheck): Promise<CheckOutcome> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      await Promise.race([Promise.resolve().then(() => check.check()), timedOut]);
      return { status: 'up' };
    } catch (error) {
      return { status: 'down', reason: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A check over a condition the service keeps in memory (state rebuilt, leader known...). */
export function conditionCheck(
  name: string,
  holds: () => boolean,
  whyNot: string | (() => string),
): ReadinessCheck {
  return {
    name,
    check: () => {
      if (!holds()) throw new Error(typeof whyNot === 'string' ? whyNot : whyNot());
    },
  };
}

/** Something that answers a trivial query: a pg Pool, a pg Client, a kysely-less handle. */
export interface Queryable {
  query(text: string): Promise<unknown>;
}

/** The database answers `SELECT 1` (within the readiness timeout). */
export function databaseCheck(database: Queryable, name = 'database'): ReadinessCheck {
  return {
    name,
    check: async () => {
      await database.query('SELECT 1');
    },
  };
}
