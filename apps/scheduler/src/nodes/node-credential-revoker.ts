import { setTimeout as delay } from 'node:timers/promises';
import type { ServiceLogger } from '@canopy/service-runtime';
import { ExponentialBackoff, noJitterGenerator } from 'cockatiel';
import type { IBackoff, IBackoffFactory } from 'cockatiel';

/**
 * Makes NATS refuse the credentials of disabled nodes. `revoked` is always the complete set: each
 * disabled node's user public key, with the unix second of its disabling (credentials issued up to
 * then stop working). A key missing from the set works again. Must be safe to call repeatedly
 * with the same set.
 */
export interface NodeCredentialRevoker {
  apply(revoked: ReadonlyMap<string, number>): Promise<void>;
}

/** Without a NATS authority there are no credentials to revoke: disabled nodes are only refused work. */
export const noNodeCredentialRevoker: NodeCredentialRevoker = {
  apply: async () => undefined,
};

/** Waits between failed calls: 500 ms, doubling, at most 30 s. */
export const revocationRetryBackoff = new ExponentialBackoff({
  initialDelay: 500,
  maxDelay: 30_000,
  generator: noJitterGenerator,
});

/**
 * Hands the latest revocation set to the revoker, one call at a time; a set that changes while a
 * call runs is applied after it. A failed call is retried with exponential backoff until it
 * succeeds, with the newest set at each attempt; nothing is thrown. `stop()` ends a wait at once.
 */
export class RevocationPublisher {
  private desired: ReadonlyMap<string, number> | undefined;
  private applied: ReadonlyMap<string, number> | undefined;
  private running: Promise<void> | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly revoker: NodeCredentialRevoker,
    private readonly logger: ServiceLogger,
    private readonly retryBackoff: IBackoffFactory<unknown> = revocationRetryBackoff,
  ) {}

  publish(revoked: ReadonlyMap<string, number>): void {
    this.desired = new Map(revoked);
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async run(): Promise<void> {
    const { signal } = this.stopping;
    let backoff: IBackoff<unknown> | undefined;
    while (!signal.aborted && this.desired !== undefined && this.desired !== this.applied) {
      const revoked = this.desired;
      try {
        await this.revoker.apply(revoked);
        this.applied = revoked;
        backoff = undefined;
        this.logger.info({ revokedNodes: revoked.size }, 'node credential revocations applied');
      } catch (error) {
        backoff = (backoff ?? this.retryBackoff).next(undefined);
        const retryMs = backoff.duration;
        this.logger.warn(
          { reason: String(error), retryMs },
          'could not apply node credential revocations; retrying',
        );
        await delay(retryMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}
