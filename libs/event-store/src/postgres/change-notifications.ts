// The live tail: one dedicated connection per store LISTENs on the channel that every append
// transaction notifies, and wakes all of the store's subscriptions. When that connection drops it
// is replaced (with growing pauses while the server is away); subscriptions are woken on every
// change of connection so that whatever was appended meanwhile is read, and they poll slowly
// anyway in case a notification is lost.
//
// A process that applies its own appends as it makes them (the scheduler) need not read them back
// at once: notifications sent by the store's own connections (see OwnConnections) may then wake
// the subscriptions within a delay instead, so that a stream of the process's own commits costs one
// read per delay rather than one per commit. Another process's commit still wakes them at once, and
// such a read takes the process's own rows along.
import type { Notification, Pool, PoolClient } from 'pg';
import type { Wakeup } from '../wakeup.js';
import { notificationChannel } from './append-transaction.js';

const firstReconnectDelayMs = 100;
const maxReconnectDelayMs = 5_000;

/** The server processes of the connections a store appends on, told apart in notifications. */
export class OwnConnections {
  private readonly processIds = new Set<number>();
  private readonly seen = new WeakSet<PoolClient>();

  /** Called for every connection an append runs on. */
  note(client: PoolClient): void {
    if (this.seen.has(client)) return;
    const { processID } = client as PoolClient & { processID: number | null };
    if (processID === null) return;
    this.seen.add(client);
    this.processIds.add(processID);
    // The process id may be reused by another connection once this one has ended.
    client.once('end', () => this.processIds.delete(processID));
  }

  has(processId: number): boolean {
    return this.processIds.has(processId);
  }
}

export interface ChangeNotificationOptions {
  readonly ownConnections: OwnConnections;
  /** How long subscriptions may wait to read a commit of the store's own connections; 0: at once. */
  readonly ownCommitsReadDelayMs: number;
}

export class ChangeNotifications {
  private readonly subscribers = new Set<Wakeup>();
  private client: PoolClient | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failedAttempts = 0;
  private closed = false;

  constructor(
    private readonly pool: Pool,
    private readonly options: ChangeNotificationOptions,
  ) {}

  /**
   * Wakes `wakeup` on every append from now on. Resolves once the store listens (or its attempt
   * failed: the subscription's polling covers that); returns the unsubscribe function.
   */
  async add(wakeup: Wakeup): Promise<() => void> {
    this.subscribers.add(wakeup);
    if (this.client === undefined && this.reconnectTimer === undefined) {
      this.connecting ??= this.listen();
    }
    await this.connecting;
    return () => this.subscribers.delete(wakeup);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    // Destroyed, not returned: a pooled connection must not keep listening.
    client?.release(true);
  }

  private readonly wakeAll = (): void => {
    for (const subscriber of this.subscribers) subscriber.wake();
  };

  private readonly notified = ({ processId }: Notification): void => {
    const { ownConnections, ownCommitsReadDelayMs } = this.options;
    if (ownCommitsReadDelayMs === 0 || !ownConnections.has(processId)) {
      this.wakeAll();
      return;
    }
    for (const subscriber of this.subscribers) subscriber.wakeWithin(ownCommitsReadDelayMs);
  };

  private async listen(): Promise<void> {
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const listening = client;
      listening.on('notification', this.notified);
      listening.on('error', (error) => this.drop(listening, error));
      listening.on('end', () => this.drop(listening, new Error('LISTEN connection ended')));
      await listening.query(`LISTEN ${notificationChannel}`);
      if (this.closed) {
        listening.release(true);
        return;
      }
      this.client = listening;
      this.failedAttempts = 0;
      this.wakeAll();
    } catch (error) {
      client?.release(error instanceof Error ? error : true);
      this.scheduleReconnect();
    } finally {
      this.connecting = undefined;
    }
  }

  private drop(client: PoolClient, error: Error): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.release(error);
    this.wakeAll();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== undefined) return;
    const delay = Math.min(firstReconnectDelayMs * 2 ** this.failedAttempts, maxReconnectDelayMs);
    this.failedAttempts += 1;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connecting ??= this.listen();
    }, delay);
  }
}
