import { SlotLedger } from './slot-ledger.js';

const a = { taskId: 'aaaaaaaaaaaaaaaaaaaaaaaa', attempt: 1 };
const b = { taskId: 'bbbbbbbbbbbbbbbbbbbbbbbb', attempt: 1 };
const c = { taskId: 'cccccccccccccccccccccccc', attempt: 1 };

describe('slot ledger', () => {
  test('admits up to its slots, then rejects with NO_FREE_SLOT', () => {
    const ledger = new SlotLedger(2);
    expect(ledger.admit(a)).toEqual({ kind: 'admitted' });
    expect(ledger.admit(b)).toEqual({ kind: 'admitted' });
    expect(ledger.freeSlots).toBe(0);
    expect(ledger.admit(c)).toEqual({ kind: 'rejected', reason: 'NO_FREE_SLOT' });
    expect(ledger.ownedAttempts()).toEqual([a, b]);
  });

  test('the same attempt again is a duplicate, whether running, reporting or settled', () => {
    const ledger = new SlotLedger(1);
    ledger.admit(a);
    expect(ledger.admit({ ...a })).toEqual({ kind: 'duplicate' });
    ledger.finish(a);
    expect(ledger.admit(a)).toEqual({ kind: 'duplicate' });
    ledger.settle(a);
    expect(ledger.admit(a)).toEqual({ kind: 'duplicate' });
    expect(ledger.freeSlots).toBe(1);
  });

  test('another attempt of the same task is different work', () => {
    const ledger = new SlotLedger(2);
    ledger.admit(a);
    expect(ledger.admit({ ...a, attempt: 2 })).toEqual({ kind: 'admitted' });
  });

  test('a finished attempt frees its slot but stays owned until settled', () => {
    const ledger = new SlotLedger(1);
    ledger.admit(a);
    ledger.finish(a);
    expect(ledger.freeSlots).toBe(1);
    expect(ledger.isRunning(a)).toBe(false);
    expect(ledger.ownedAttempts()).toEqual([a]);
    expect(ledger.admit(b)).toEqual({ kind: 'admitted' });
    ledger.settle(a);
    expect(ledger.ownedAttempts()).toEqual([b]);
    expect(ledger.freeSlots).toBe(0);
  });

  test('settling a running attempt frees its slot; finishing or settling twice changes nothing', () => {
    const ledger = new SlotLedger(2);
    ledger.admit(a);
    ledger.admit(b);
    ledger.settle(a);
    ledger.settle(a);
    ledger.finish(a);
    expect(ledger.freeSlots).toBe(1);
    ledger.finish(b);
    ledger.finish(b);
    expect(ledger.freeSlots).toBe(2);
    expect(ledger.ownedAttempts()).toEqual([b]);
  });

  test('once closed it rejects new attempts with NODE_STOPPING, but still recognises duplicates', () => {
    const ledger = new SlotLedger(2);
    ledger.admit(a);
    ledger.close();
    expect(ledger.acceptsWork).toBe(false);
    expect(ledger.admit(b)).toEqual({ kind: 'rejected', reason: 'NODE_STOPPING' });
    expect(ledger.admit(a)).toEqual({ kind: 'duplicate' });
  });

  test('forgets the oldest settled attempts beyond its memory', () => {
    const ledger = new SlotLedger(1, 2);
    for (const ref of [a, b, c]) {
      ledger.admit(ref);
      ledger.settle(ref);
    }
    expect(ledger.admit(a)).toEqual({ kind: 'admitted' });
    ledger.settle(a);
    expect(ledger.admit(c)).toEqual({ kind: 'duplicate' });
  });

  test.each([0, -1, 1.5, Number.NaN])('refuses %p slots', (slots) => {
    expect(() => new SlotLedger(slots)).toThrow(RangeError);
  });
});
