import { ANY, NO_STREAM } from '@eventstore/db-client';
import {
  expectedEventCount,
  revisionOfStreamVersion,
  streamVersionOfCurrentRevision,
  streamVersionOfRevision,
  toExpectedRevision,
} from './stream-revision.js';

describe('toExpectedRevision', () => {
  test('an empty stream is expected as no stream, whether said with a word or with 0', () => {
    expect(toExpectedRevision('no_stream')).toBe(NO_STREAM);
    expect(toExpectedRevision(0)).toBe(NO_STREAM);
  });

  test('any stays any', () => {
    expect(toExpectedRevision('any')).toBe(ANY);
  });

  test('a stream of N events ends at revision N - 1', () => {
    expect(toExpectedRevision(1)).toBe(0n);
    expect(toExpectedRevision(42)).toBe(41n);
    expect(toExpectedRevision(Number.MAX_SAFE_INTEGER)).toBe(BigInt(Number.MAX_SAFE_INTEGER) - 1n);
  });

  test.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53])(
    'rejects %p as a version',
    (version) => {
      expect(() => toExpectedRevision(version)).toThrow(RangeError);
    },
  );
});

describe('expectedEventCount', () => {
  test('is 0 for no stream and the version itself otherwise', () => {
    expect(expectedEventCount('no_stream')).toBe(0);
    expect(expectedEventCount(0)).toBe(0);
    expect(expectedEventCount(7)).toBe(7);
  });
});

describe('streamVersionOfRevision', () => {
  test('the event at revision R has version R + 1', () => {
    expect(streamVersionOfRevision(0n)).toBe(1);
    expect(streamVersionOfRevision(41n)).toBe(42);
  });

  test('refuses revisions that have no exact version', () => {
    expect(() => streamVersionOfRevision(-1n)).toThrow(RangeError);
    expect(() => streamVersionOfRevision(BigInt(Number.MAX_SAFE_INTEGER))).toThrow(RangeError);
  });
});

describe('streamVersionOfCurrentRevision', () => {
  test('a stream that does not exist is at version 0', () => {
    expect(streamVersionOfCurrentRevision(NO_STREAM)).toBe(0);
  });

  test('a stream whose last revision is R is at version R + 1', () => {
    expect(streamVersionOfCurrentRevision(0n)).toBe(1);
    expect(streamVersionOfCurrentRevision(9n)).toBe(10);
  });
});

describe('revisionOfStreamVersion', () => {
  test('version V is read from revision V - 1', () => {
    expect(revisionOfStreamVersion(1)).toBe(0n);
    expect(revisionOfStreamVersion(10)).toBe(9n);
  });

  test.each([0, -3, 2.5])('rejects %p as a version to read from', (version) => {
    expect(() => revisionOfStreamVersion(version)).toThrow(RangeError);
  });
});
