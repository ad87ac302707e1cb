// The live tail: one dedicated connection per store LISTENs on the channel that every append
// transaction notifies, and wakes all of the store's subscriptions. When that connection drops it
// is replaced (with growing pauses while the server is away); subscriptions are woken on every
// change of connection so that whatever was appended meanwhile is read, and they poll slowly
// anyway in case a notification is lost.
import type { Pool, PoolClient } from 'pg';
import type { Wakeup } from '../wakeup.js';
import { notificationChannel } from './append-transaction.js';

const firstReconnectDelayMs = 100;
const maxReconnectDelayMs = 5_000;

export class ChangeNotifications {
  private readonly subscribers = new Set<Wakeup>();
  private client: PoolClient | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failedAttempts = 0;
  private closed = false;

  constructor(private readonly pool: Pool) {}

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

  private async listen(): Promise<void> {
    let client: PoolClient | undefined;
    try {
      client = await this.pool.connect();
      const listening = client;
      listening.on('notification', this.wakeAll);
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
