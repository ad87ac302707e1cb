import { readFileSync } from 'node:fs';
import { describe, expect, test } from '@jest/globals';
import type { TaskHistoryEntry } from '../api/api-types.js';
import { taskTimeline, timeAgo } from './task-timeline.js';

// The history the API documents for GET /v1/task/{id}/events (docs/openapi.json), so the console is
// tried on what the gateway says it answers.
type DocumentedHistory = [TaskHistoryEntry, ...TaskHistoryEntry[]];
const openApi = JSON.parse(
  readFileSync(new URL('../../../../docs/openapi.json', import.meta.url), 'utf8'),
) as {
  paths: {
    '/v1/task/{id}/events': {
      get: {
        responses: { 200: { content: { 'application/json': { example: DocumentedHistory } } } };
      };
    };
  };
};
const documentedHistory =
  openApi.paths['/v1/task/{id}/events'].get.responses[200].content['application/json'].example;
const issued: TaskHistoryEntry = { ...documentedHistory[0], at: '1765270800' };

describe('taskTimeline', () => {
  test('a task run twice: steps in order, progress folded, both attempts with their outcome', () => {
    const timeline = taskTimeline([
      // Out of order on purpose: the versions decide.
      { version: 3, type: 'TaskProgressed', at: '1765270802', data: { attempt: 1, progress: 20 } },
      issued,
      { version: 2, type: 'TaskAssigned', at: '1765270801', data: { node: 'n-1', attempt: 1 } },
      { version: 4, type: 'TaskProgressed', at: '1765270803', data: { attempt: 1, progress: 40 } },
      {
        version: 5,
        type: 'TaskUnassigned',
        at: '1765270804',
        data: { node: 'n-1', attempt: 1, reason: 'NODE_LOST' },
      },
      { version: 6, type: 'TaskAssigned', at: '1765270805', data: { node: 'n-2', attempt: 2 } },
      { version: 7, type: 'TaskFinished', at: '1765270806', data: { attempt: 2, status: 200 } },
    ]);
    expect(timeline.steps.map((step) => [step.version, step.title, step.detail])).toEqual([
      [1, 'Issued', 'timeout 10 s, up to 3 attempts, priority 5'],
      [2, 'Assigned', 'attempt 1 on node n-1'],
      [3, 'Progress', '40%'],
      [5, 'Unassigned', 'attempt 1 left node n-1: NODE_LOST'],
      [6, 'Assigned', 'attempt 2 on node n-2'],
      [7, 'Finished', 'the function answered 200'],
    ]);
    expect(timeline.attempts).toEqual([
      expect.objectContaining({ attempt: 1, node: 'n-1', outcome: 'unassigned', progress: 40 }),
      expect.objectContaining({ attempt: 2, node: 'n-2', outcome: 'finished', progress: 100 }),
    ]);
    expect(timeline.ended).toBe(true);
  });

  test('a retried answer, then the platform giving up, ends the running attempt as failed', () => {
    const timeline = taskTimeline([
      issued,
      { version: 2, type: 'TaskAssigned', at: '1765270801', data: { node: 'n-1', attempt: 1 } },
      {
        version: 3,
        type: 'TaskAttemptFailed',
        at: '1765270802',
        data: { node: 'n-1', attempt: 1, status: 503, retryAt: '1765270812' },
      },
      { version: 4, type: 'TaskAssigned', at: '1765270812', data: { node: 'n-1', attempt: 2 } },
      {
        version: 5,
        type: 'TaskFailed',
        at: '1765270822',
        data: { reason: 'TIMEOUT', status: 504, message: 'ran out of time' },
      },
    ]);
    expect(timeline.attempts.map((attempt) => attempt.outcome)).toEqual(['retried', 'failed']);
    expect(timeline.steps.at(-1)).toMatchObject({
      title: 'Failed',
      detail: 'TIMEOUT (504): ran out of time',
    });
  });

  test('the documented history reads as one attempt run to its answer', () => {
    const timeline = taskTimeline(documentedHistory);
    expect(timeline.steps.map((step) => step.title)).toEqual([
      'Issued',
      'Assigned',
      'Progress',
      'Finished',
    ]);
    expect(timeline.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        node: 'local-node',
        outcome: 'finished',
        progress: 100,
      }),
    ]);
    expect(timeline.ended).toBe(true);
  });

  test('a task still waiting has not ended', () => {
    expect(taskTimeline([issued])).toMatchObject({ ended: false, attempts: [] });
  });
});

test('timeAgo says how long ago in words', () => {
  const now = 1_765_270_800_000;
  expect(timeAgo('1765270800', now)).toBe('just now');
  expect(timeAgo('1765270788', now)).toBe('12 s ago');
  expect(timeAgo('1765270500', now)).toBe('5 min ago');
  expect(timeAgo(null, now)).toBe('never');
});
