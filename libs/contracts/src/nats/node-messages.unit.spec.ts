import { fieldRejected } from '../testing/index.js';
import {
  UNKNOWN_NODE,
  parseAnnouncementReply,
  parseHeartbeatReply,
  parseNodeAck,
  parseNodeAnnouncement,
  parseNodeGoodbye,
  parseNodeHeartbeat,
  parseProgressReport,
  parseResultReport,
} from './node-messages.js';

const taskId = '6405942c9956fae80d7e0e91';
const reportId = '8f14e45f-ceea-467f-a0c8-1b1a4d1e2f3a';

const announcement = {
  nodeId: 'n1',
  capabilities: { cpuCount: 4, memSize: 2048, networkLatency: 20, privileged: true },
  slots: 2,
  runningTasks: [{ taskId, attempt: 1 }],
  agent: 'canopy-node-agent/0.1.0',
};
const heartbeat = { nodeId: 'n1', freeSlots: 0, runningTasks: [], sentAt: '2024-06-22T21:05:48Z' };
const progress = { reportId, taskId, attempt: 2, progress: 75 };
const result = {
  reportId,
  taskId,
  attempt: 2,
  response: {
    status: 200,
    contentType: 'application/json',
    headers: { 'content-length': '2' },
    body: 'e30=',
  },
};

describe('node → scheduler messages', () => {
  test.each([
    ['announcement', parseNodeAnnouncement, announcement],
    ['heartbeat', parseNodeHeartbeat, heartbeat],
    ['progress report', parseProgressReport, progress],
    ['result report', parseResultReport, result],
    ['goodbye', parseNodeGoodbye, { nodeId: 'n1' }],
  ] as const)('accept a valid %s', (_name, parse, value) => {
    expect(parse(structuredClone(value))).toEqual(value);
  });

  test.each([
    ['announcement with no slot', parseNodeAnnouncement, { ...announcement, slots: 0 }, 'slots'],
    ['announcement without agent', parseNodeAnnouncement, { ...announcement, agent: '' }, 'agent'],
    [
      'announcement with an unsafe node id',
      parseNodeAnnouncement,
      { ...announcement, nodeId: 'n.1' },
      'nodeId',
    ],
    [
      'announcement with negative memory',
      parseNodeAnnouncement,
      { ...announcement, capabilities: { ...announcement.capabilities, memSize: -1 } },
      'capabilities.memSize',
    ],
    [
      'announcement with a bad running task',
      parseNodeAnnouncement,
      {
        ...announcement,
        runningTasks: [
          { taskId, attempt: 1 },
          { taskId: 'x', attempt: 1 },
        ],
      },
      'runningTasks.1.taskId',
    ],
    [
      'heartbeat with negative free slots',
      parseNodeHeartbeat,
      { ...heartbeat, freeSlots: -1 },
      'freeSlots',
    ],
    [
      'heartbeat without a send time',
      parseNodeHeartbeat,
      { ...heartbeat, sentAt: undefined },
      'sentAt',
    ],
    [
      'heartbeat with running tasks that are not a list',
      parseNodeHeartbeat,
      { ...heartbeat, runningTasks: {} },
      'runningTasks',
    ],
    [
      'progress without a UUID report id',
      parseProgressReport,
      { ...progress, reportId: 'r-1' },
      'reportId',
    ],
    ['progress above 100', parseProgressReport, { ...progress, progress: 101 }, 'progress'],
    ['progress with attempt 0', parseProgressReport, { ...progress, attempt: 0 }, 'attempt'],
    [
      'result with a bad status',
      parseResultReport,
      { ...result, response: { ...result.response, status: 1000 } },
      'response.status',
    ],
    [
      'result with a non-base64 body',
      parseResultReport,
      { ...result, response: { ...result.response, body: '{}' } },
      'response.body',
    ],
    [
      'result without a response',
      parseResultReport,
      { ...result, response: undefined },
      'response',
    ],
    ['goodbye with an unsafe node id', parseNodeGoodbye, { nodeId: '*' }, 'nodeId'],
  ] as const)('reject a %s', (_name, parse, value, field) => {
    expect(fieldRejected(parse, value)).toBe(field);
  });
});

describe('scheduler → node replies', () => {
  test('announcement replies carry the heartbeat timing', () => {
    const ok = { ok: true, heartbeatIntervalMs: 5000, heartbeatTimeoutMs: 15000 };
    expect(parseAnnouncementReply(ok)).toEqual(ok);
    const failure = {
      ok: false,
      error: { code: 'CONTRACT_VIOLATION', message: 'slots must be at least 1', field: 'slots' },
    };
    expect(parseAnnouncementReply(failure)).toEqual(failure);
  });

  test('announcement replies reject a timeout not longer than the interval', () => {
    expect(
      fieldRejected(parseAnnouncementReply, {
        ok: true,
        heartbeatIntervalMs: 5000,
        heartbeatTimeoutMs: 5000,
      }),
    ).toBe('heartbeatTimeoutMs');
    expect(
      fieldRejected(parseAnnouncementReply, {
        ok: true,
        heartbeatIntervalMs: 0,
        heartbeatTimeoutMs: 5000,
      }),
    ).toBe('heartbeatIntervalMs');
  });

  test('heartbeat replies tell an unknown node to announce again', () => {
    expect(parseHeartbeatReply({ ok: true })).toEqual({ ok: true });
    const unknown = { ok: false, error: { code: UNKNOWN_NODE, message: 'announce again' } };
    expect(parseHeartbeatReply(unknown)).toEqual(unknown);
    expect(fieldRejected(parseHeartbeatReply, { ok: false })).toBe('error');
    expect(fieldRejected(parseHeartbeatReply, { ok: 'yes' })).toBe('ok');
  });

  test('acks say whether a rejected report is worth retrying', () => {
    expect(parseNodeAck({ ok: true })).toEqual({ ok: true });
    const definitive = {
      ok: false,
      error: { code: 'TASK_TERMINAL', message: 'task already finished' },
      retry: false,
    };
    expect(parseNodeAck(definitive)).toEqual(definitive);
    expect(
      fieldRejected(parseNodeAck, { ok: false, error: { code: 'TASK_TERMINAL', message: 'x' } }),
    ).toBe('retry');
    expect(
      fieldRejected(parseNodeAck, {
        ok: false,
        error: { code: 'not a code', message: 'x' },
        retry: true,
      }),
    ).toBe('error.code');
  });
});
