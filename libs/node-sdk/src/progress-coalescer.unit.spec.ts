import { ProgressCoalescer, progressPercent } from './progress-coalescer.js';

describe('progress coalescer', () => {
  test('the first value starts a sender; values offered while it sends are coalesced to the latest', () => {
    const coalescer = new ProgressCoalescer();
    expect(coalescer.offer(10)).toBe(true);
    expect(coalescer.take()).toBe(10);
    expect(coalescer.superseded).toBe(false);
    expect(coalescer.offer(20)).toBe(false);
    expect(coalescer.offer(30)).toBe(false);
    expect(coalescer.superseded).toBe(true);
    expect(coalescer.take()).toBe(30);
    expect(coalescer.take()).toBeUndefined();
    // The sender ended, so the next value needs a new one.
    expect(coalescer.offer(40)).toBe(true);
    expect(coalescer.take()).toBe(40);
  });

  test('never more than one sender at a time', () => {
    const coalescer = new ProgressCoalescer();
    const starts = [5, 6, 7, 8].map((value) => coalescer.offer(value));
    expect(starts).toEqual([true, false, false, false]);
  });

  test('values that do not increase are ignored', () => {
    const coalescer = new ProgressCoalescer();
    coalescer.offer(50);
    expect(coalescer.take()).toBe(50);
    expect(coalescer.offer(50)).toBe(false);
    expect(coalescer.offer(20)).toBe(false);
    expect(coalescer.superseded).toBe(false);
    expect(coalescer.take()).toBeUndefined();
    expect(coalescer.offer(0)).toBe(false);
  });

  test('0 is a value worth sending', () => {
    const coalescer = new ProgressCoalescer();
    expect(coalescer.offer(0)).toBe(true);
    expect(coalescer.take()).toBe(0);
  });

  test('once closed nothing more is sent and the value in flight counts as superseded', () => {
    const coalescer = new ProgressCoalescer();
    coalescer.offer(10);
    coalescer.take();
    coalescer.offer(90);
    coalescer.close();
    expect(coalescer.closed).toBe(true);
    expect(coalescer.superseded).toBe(true);
    expect(coalescer.take()).toBeUndefined();
    expect(coalescer.offer(100)).toBe(false);
  });
});

describe('progress percent', () => {
  test.each([
    [0, 0],
    [40, 40],
    [99.9, 99],
    [100, 100],
  ])('%p is %p', (value, percent) => {
    expect(progressPercent(value)).toBe(percent);
  });

  test.each([-1, 100.5, Number.NaN, Infinity, '50' as unknown as number])(
    '%p is refused',
    (value) => {
      expect(() => progressPercent(value)).toThrow(RangeError);
    },
  );
});
