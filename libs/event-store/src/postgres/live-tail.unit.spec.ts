import type { Wakeup } from '../wakeup.js';
import type { EventRow, TailWindow } from './catch-up-reads.js';
import { positionOfRow } from './catch-up-reads.js';
import { startOfLog, type LogPosition } from './checkpoint.js';
import { comparePositions, LiveTail } from './live-tail.js';

/**
 * A log in memory, read as the fenced query reads it: rows after a position, in order, up to the
 * first row whose transaction is still "open" (held back), counting the reads that found rows.
 */
class FakeLog {
  readonly rows: EventRow[] = [];
  heldBackFrom = Number.POSITIVE_INFINITY;
  readsWithRows = 0;
  failNextRead: Error | undefined;
  private readListeners: (() => void)[] = [];
  private wakeup: Wakeup | undefined;

  readonly source = {
    read: async (after: LogPosition, limit: number): Promise<TailWindow> => {
      await Promise.resolve();
      if (this.failNextRead !== undefined) {
        const failure = this.failNextRead;
        this.failNextRead = undefined;
        throw failure;
      }
      const visible = this.rows.slice(0, Math.min(this.rows.length, this.heldBackFrom));
      const rows = visible
        .filter((row) => comparePositions(positionOfRow(row), after) > 0)
        .slice(0, limit);
      if (rows.length > 0) this.readsWithRows += 1;
      for (const listener of this.readListeners.splice(0)) listener();
      return { rows, heldBack: visible.length < this.rows.length };
    },
    listen: async (wakeup: Wakeup): Promise<void> => {
      this.wakeup = wakeup;
    },
  };

  /** Appends rows (one transaction each, for simplicity) and notifies unless told not to. */
  commit(count: number, { notify = true } = {}): EventRow[] {
    const added = Array.from({ length: count }, (_, index) => row(this.rows.length + index + 1));
    this.rows.push(...added);
    if (notify) this.wakeup?.wake();
    return added;
  }

  notify(): void {
    this.wakeup?.wake();
  }

  /** Resolves after the next read. */
  nextRead(): Promise<void> {
    return new Promise((resolve) => this.readListeners.push(resolve));
  }
}

function row(n: number): EventRow {
  return {
    transaction_text: String(1000 + n),
    position_text: String(n),
    stream_id: `stream-${n % 3}`,
    payload: JSON.stringify([1, `id-${n}`, 'Happened', 0, {}, {}]),
  };
}

const positions = (rows: readonly EventRow[] | undefined) =>
  rows?.map((each) => each.position_text);

let closing: AbortController;
let log: FakeLog;

function openTail(options: { windowRows?: number; keptRows?: number } = {}): LiveTail {
  return new LiveTail(log.source, {
    windowRows: options.windowRows ?? 100,
    keptRows: options.keptRows ?? 1000,
    // Only notifications and the held-back retry make the tail read in these tests.
    pollIntervalMs: 3_600_000,
    closing: closing.signal,
  });
}

beforeEach(() => {
  closing = new AbortController();
  log = new FakeLog();
});

afterEach(() => closing.abort());

test('subscriptions waiting at the end share one read per burst of commits', async () => {
  const tail = openTail();
  const waiting = [1, 2, 3].map(() => tail.rowsAfter(startOfLog, 10, closing.signal));
  await Promise.resolve();
  log.commit(2);

  const received = await Promise.all(waiting);

  expect(received.map(positions)).toEqual([
    ['1', '2'],
    ['1', '2'],
    ['1', '2'],
  ]);
  expect(log.readsWithRows).toBe(1);
});

test('hands out the kept rows in order, at most maxRows at a time, without reading again', async () => {
  const tail = openTail();
  log.commit(7, { notify: false });
  const first = await tail.rowsAfter(startOfLog, 3, closing.signal);
  const firstLast = first?.at(-1) as EventRow;
  const second = await tail.rowsAfter(positionOfRow(firstLast), 3, closing.signal);
  const secondLast = second?.at(-1) as EventRow;
  const third = await tail.rowsAfter(positionOfRow(secondLast), 3, closing.signal);

  expect([first, second, third].map(positions)).toEqual([['1', '2', '3'], ['4', '5', '6'], ['7']]);
  expect(log.readsWithRows).toBe(1);
});

test('a subscription older than the kept rows is told to read on its own', async () => {
  const tail = openTail({ windowRows: 2, keptRows: 3 });
  log.commit(5, { notify: false });
  let after = startOfLog;
  const received: string[] = [];
  while (received.length < 5) {
    const rows = (await tail.rowsAfter(after, 10, closing.signal)) ?? [];
    received.push(...(positions(rows) ?? []));
    after = positionOfRow(rows.at(-1) as EventRow);
  }
  expect(received).toEqual(['1', '2', '3', '4', '5']);

  const at = (n: number) => positionOfRow(log.rows[n - 1] as EventRow);
  await expect(tail.rowsAfter(startOfLog, 10, closing.signal)).resolves.toBeUndefined();
  await expect(tail.rowsAfter(at(1), 10, closing.signal)).resolves.toBeUndefined();
  expect(positions(await tail.rowsAfter(at(2), 10, closing.signal))).toEqual(['3', '4', '5']);
});

test('a subscription that read past the tail on its own waits until the tail has caught up', async () => {
  const tail = openTail();
  log.commit(1, { notify: false });
  const atEnd = tail.rowsAfter(positionOfRow(log.rows[0] as EventRow), 10, closing.signal);
  await Promise.resolve();
  // Committed, and read by another subscription on its own, before the tail was woken.
  const [, ahead] = log.commit(3, { notify: false });
  const fromAhead = tail.rowsAfter(positionOfRow(ahead as EventRow), 10, closing.signal);
  log.notify();

  expect(positions(await atEnd)).toEqual(['2', '3', '4']);
  expect(positions(await fromAhead)).toEqual(['4']);
});

test('rows held back behind an open transaction are read again without a notification', async () => {
  const tail = openTail();
  log.heldBackFrom = 0;
  log.commit(2);
  const read = log.nextRead();
  const waiting = tail.rowsAfter(startOfLog, 10, closing.signal);
  await read;
  // The open transaction ends without notifying (it was not one of the store's).
  log.heldBackFrom = Number.POSITIVE_INFINITY;

  expect(positions(await waiting)).toEqual(['1', '2']);
});

test('a failed read fails the waiting subscriptions; the next one reads again', async () => {
  const tail = openTail();
  log.commit(1, { notify: false });
  log.failNextRead = new Error('connection lost');

  await expect(tail.rowsAfter(startOfLog, 10, closing.signal)).rejects.toThrow('connection lost');
  expect(positions(await tail.rowsAfter(startOfLog, 10, closing.signal))).toEqual(['1']);
});

test('an aborted subscription stops waiting with no rows', async () => {
  const tail = openTail();
  const subscription = new AbortController();
  const waiting = tail.rowsAfter(startOfLog, 10, subscription.signal);
  await Promise.resolve();
  subscription.abort();

  await expect(waiting).resolves.toEqual([]);
  closing.abort();
  await tail.stopped();
});

test('positions are ordered by transaction id, then global position', () => {
  const at = (transactionId: string, globalPosition: string) => ({
    transactionId,
    globalPosition,
  });
  expect(comparePositions(at('9', '100'), at('10', '1'))).toBe(-1);
  expect(comparePositions(at('10', '2'), at('10', '1'))).toBe(1);
  expect(comparePositions(at('007', '1'), at('7', '1'))).toBe(0);
});
