import { eventually } from '@canopy/async-testing';
import { createTestDatabase, type TestDatabase } from '@canopy/local-services/testing';
import pg from 'pg';
import { Wakeup } from '../wakeup.js';
import { notificationChannel } from './append-transaction.js';
import { ChangeNotifications, OwnConnections } from './change-notifications.js';

/** A subscription's wake-up that remembers how it was woken. */
class RecordingWakeup extends Wakeup {
  readonly calls: string[] = [];

  override wake(): void {
    this.calls.push('wake');
    super.wake();
  }

  override wakeWithin(delayMs: number): void {
    this.calls.push(`within ${delayMs} ms`);
    super.wakeWithin(delayMs);
  }
}

let database: TestDatabase;
// The store's own pool, and another process's.
let own: pg.Pool;
let other: pg.Pool;
const opened: ChangeNotifications[] = [];

beforeAll(async () => {
  database = await createTestDatabase('change_notifications');
  own = new pg.Pool({ connectionString: database.url });
  other = new pg.Pool({ connectionString: database.url });
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((notifications) => notifications.close()));
});

afterAll(async () => {
  await own?.end();
  await other?.end();
  await database?.drop();
});

async function listening(
  ownConnections: OwnConnections,
  ownCommitsReadDelayMs: number,
): Promise<RecordingWakeup> {
  const notifications = new ChangeNotifications(own, { ownConnections, ownCommitsReadDelayMs });
  opened.push(notifications);
  const wakeup = new RecordingWakeup();
  await notifications.add(wakeup);
  // Listening wakes every subscription once, in case something was appended meanwhile.
  await eventually(() => expect(wakeup.calls).toEqual(['wake']));
  wakeup.calls.length = 0;
  return wakeup;
}

async function notifyFrom(client: pg.PoolClient): Promise<void> {
  await client.query(`SELECT pg_notify('${notificationChannel}', '')`);
}

describe('ChangeNotifications', () => {
  test("a commit of the store's own connections wakes its subscriptions within the delay", async () => {
    const ownConnections = new OwnConnections();
    const wakeup = await listening(ownConnections, 60_000);
    const client = await own.connect();
    try {
      ownConnections.note(client);
      await notifyFrom(client);
      await eventually(() => expect(wakeup.calls).toEqual(['within 60000 ms']));
    } finally {
      client.release();
    }
  });

  test("another process's commit wakes them at once", async () => {
    const ownConnections = new OwnConnections();
    const wakeup = await listening(ownConnections, 60_000);
    const mine = await own.connect();
    const theirs = await other.connect();
    try {
      ownConnections.note(mine);
      await notifyFrom(theirs);
      await eventually(() => expect(wakeup.calls).toEqual(['wake']));
    } finally {
      mine.release();
      theirs.release();
    }
  });

  test('with no delay, its own commits wake them at once too', async () => {
    const ownConnections = new OwnConnections();
    const wakeup = await listening(ownConnections, 0);
    const client = await own.connect();
    try {
      ownConnections.note(client);
      await notifyFrom(client);
      await eventually(() => expect(wakeup.calls).toEqual(['wake']));
    } finally {
      client.release();
    }
  });
});

describe('OwnConnections', () => {
  test('knows a noted connection by its server process until the connection ends', async () => {
    const ownConnections = new OwnConnections();
    const client = await own.connect();
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = rows[0]?.pid ?? -1;
    expect(ownConnections.has(pid)).toBe(false);
    ownConnections.note(client);
    expect(ownConnections.has(pid)).toBe(true);
    client.release(true);
    await eventually(() => expect(ownConnections.has(pid)).toBe(false));
  });
});
