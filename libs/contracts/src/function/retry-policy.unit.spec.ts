import { fieldRejected } from '../testing/index.js';
import { parseContract } from '../contract-violation.js';
import { isRetriedStatus, retryDelayMs, retryPolicySchema } from './retry-policy.js';
import type { RetryPolicy } from './retry-policy.js';

const policy: RetryPolicy = {
  maxAttempts: 3,
  backoff: { initialSeconds: 1, multiplier: 2, maxSeconds: 10 },
  on: ['5xx', 429],
};
const parsePolicy = (value: unknown) => parseContract(retryPolicySchema, 'retry policy', value);

describe('retry policy', () => {
  test('accepts a valid policy unchanged', () => {
    expect(parsePolicy(structuredClone(policy))).toEqual(policy);
  });

  test.each([
    ['zero attempts', { ...policy, maxAttempts: 0 }, 'maxAttempts'],
    ['more than 20 attempts', { ...policy, maxAttempts: 21 }, 'maxAttempts'],
    ['no status', { ...policy, on: [] }, 'on'],
    ['a 3xx status', { ...policy, on: [302] }, 'on.0'],
    ['an unknown class', { ...policy, on: ['2xx'] }, 'on.0'],
    [
      'a negative wait',
      { ...policy, backoff: { ...policy.backoff, initialSeconds: -1 } },
      'backoff.initialSeconds',
    ],
    [
      'a multiplier below 1',
      { ...policy, backoff: { ...policy.backoff, multiplier: 0.5 } },
      'backoff.multiplier',
    ],
    [
      'a cap below the first wait',
      { ...policy, backoff: { ...policy.backoff, maxSeconds: 0.5 } },
      'backoff.maxSeconds',
    ],
    [
      'a cap above a day',
      { ...policy, backoff: { ...policy.backoff, maxSeconds: 86_401 } },
      'backoff.maxSeconds',
    ],
    ['an unknown field', { ...policy, jitter: true }, ''],
  ])('rejects %s', (_case, value, field) => {
    expect(fieldRejected(parsePolicy, value)).toBe(field);
  });

  test.each([
    [500, true],
    [599, true],
    [429, true],
    [404, false],
    [200, false],
  ])('status %i is retried under ["5xx", 429]: %s', (status, retried) => {
    expect(isRetriedStatus(policy.on, status)).toBe(retried);
  });

  test('4xx covers 400 to 499', () => {
    expect([399, 400, 499, 500].map((status) => isRetriedStatus(['4xx'], status))).toEqual([
      false,
      true,
      true,
      false,
    ]);
  });

  test('waits grow by the multiplier up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((failed) => retryDelayMs(policy.backoff, failed))).toEqual([
      1000, 2000, 4000, 8000, 10_000,
    ]);
    expect(retryDelayMs({ initialSeconds: 0.25, multiplier: 1, maxSeconds: 1 }, 7)).toBe(250);
  });
});
