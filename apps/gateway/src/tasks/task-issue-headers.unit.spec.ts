import { ApiError } from '../http/api-error.js';
import { parseTaskIssueHeaders } from './task-issue-headers.js';

const now = new Date('2026-12-06T10:00:00.500Z');
const nowSeconds = Math.floor(now.getTime() / 1000);

function rejected(headers: Record<string, string | string[]>): { field?: string; message: string } {
  try {
    parseTaskIssueHeaders(headers, now);
  } catch (error) {
    if (error instanceof ApiError && error.status === 400)
      return { field: error.options.field, message: error.message };
    throw error;
  }
  throw new Error('accepted');
}

describe('task issue headers', () => {
  test('none: the function decides the priority, and the task runs at once', () => {
    expect(parseTaskIssueHeaders({ 'content-type': 'application/json' }, now)).toEqual({});
  });

  test('a priority from 0 to 9', () => {
    expect(parseTaskIssueHeaders({ 'canopy-priority': '0' }, now)).toEqual({ priority: 0 });
    expect(parseTaskIssueHeaders({ 'canopy-priority': ' 9 ' }, now)).toEqual({ priority: 9 });
  });

  test('a delay in unix seconds, up to 30 days ahead, or up to an hour back', () => {
    const in30Days = nowSeconds + 30 * 86_400;
    expect(parseTaskIssueHeaders({ 'canopy-not-before': String(in30Days) }, now)).toEqual({
      notBefore: new Date(in30Days * 1000).toISOString(),
    });
    expect(parseTaskIssueHeaders({ 'canopy-not-before': String(nowSeconds - 3_600) }, now)).toEqual(
      { notBefore: new Date((nowSeconds - 3_600) * 1000).toISOString() },
    );
  });

  test.each([
    ['canopy-priority', '10'],
    ['canopy-priority', '-1'],
    ['canopy-priority', '4.5'],
    ['canopy-priority', 'high'],
    ['canopy-priority', ''],
    ['canopy-priority', '1, 2'],
  ])('rejects %s: %j', (header, value) => {
    expect(rejected({ [header]: value }).field).toBe('Canopy-Priority');
  });

  test.each([
    ['milliseconds', String(now.getTime())],
    ['more than 30 days ahead', String(nowSeconds + 30 * 86_400 + 1)],
    ['more than an hour back', String(nowSeconds - 3_601)],
    ['an ISO date', '2026-12-07T00:00:00Z'],
    ['a fraction', `${nowSeconds}.5`],
    ['a negative time', '-1'],
  ])('rejects a Canopy-Not-Before in %s', (_case, value) => {
    expect(rejected({ 'canopy-not-before': value }).field).toBe('Canopy-Not-Before');
  });

  test('the message says what is expected', () => {
    expect(rejected({ 'canopy-not-before': String(now.getTime()) }).message).toMatch(
      /at most 30 days ahead \(unix seconds, not milliseconds\)/,
    );
  });
});
