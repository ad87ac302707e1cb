import { ContractViolationError } from '../contract-violation.js';
import {
  ISSUE_TASK_SUBJECT,
  LEADER_FUNCTION_CHANGED_SUBJECT,
  SCHEDULER_QUEUE_GROUP,
  TASK_NOTIFICATION_PATTERN,
  againReportKinds,
  assignmentSubject,
  cancellationSubject,
  nodeIdFromSubject,
  nodeInboxPrefix,
  nodePermissions,
  nodeReportAgainPattern,
  nodeReportAgainSubject,
  nodeReportKinds,
  nodeReportPattern,
  nodeReportSubject,
  parseNodeReportSubject,
  taskNotificationSubject,
  CANCEL_TASK_SUBJECT,
  TASK_EVENT_NOTICE_PATTERN,
  taskEventNoticeSubject,
} from './subjects.js';

const unsafeNodeIds = ['', 'a.b', 'a b', '*', '>', 'node>', 'x'.repeat(65), 'nœud', 'tab\t'];

describe('NATS subjects', () => {
  test('spell the fixed subjects', () => {
    expect(ISSUE_TASK_SUBJECT).toBe('canopy.cmd.task.issue');
    expect(SCHEDULER_QUEUE_GROUP).toBe('canopy-scheduler');
    expect(nodeReportSubject('n1', 'announce')).toBe('canopy.node.n1.announce');
    expect(nodeReportPattern('progress')).toBe('canopy.node.*.progress');
    expect(assignmentSubject('n1')).toBe('canopy.assign.n1');
    expect(cancellationSubject('n1')).toBe('canopy.cancel.n1');
    expect(taskNotificationSubject('6405942c9956fae80d7e0e91')).toBe(
      'canopy.notify.task.6405942c9956fae80d7e0e91',
    );
    expect(TASK_NOTIFICATION_PATTERN).toBe('canopy.notify.task.*');
    expect(CANCEL_TASK_SUBJECT).toBe('canopy.cmd.task.cancel');
    expect(LEADER_FUNCTION_CHANGED_SUBJECT).toBe('canopy.cmd.leader.function.changed');
    expect(taskEventNoticeSubject('6405942c9956fae80d7e0e91')).toBe(
      'canopy.notify.task.6405942c9956fae80d7e0e91.events',
    );
    expect(TASK_EVENT_NOTICE_PATTERN).toBe('canopy.notify.task.*.events');
    // Outcome notifications' one-token wildcard does not catch the event notices.
    expect(TASK_NOTIFICATION_PATTERN.split('.')).toHaveLength(4);
    expect(() => taskEventNoticeSubject('x.y')).toThrow();
  });

  test.each(
    nodeReportKinds.flatMap((kind) =>
      ['n1', 'Node_7-x', 'x'.repeat(64)].map((nodeId) => [kind, nodeId] as const),
    ),
  )('a %s subject of node %s round-trips', (kind, nodeId) => {
    const subject = nodeReportSubject(nodeId, kind);
    expect(parseNodeReportSubject(subject)).toEqual({ nodeId, kind });
    expect(nodeIdFromSubject(subject, kind)).toBe(nodeId);
  });

  test.each(nodeReportKinds)(
    'the %s pattern matches exactly one token where the node id goes',
    (kind) => {
      const pattern = nodeReportPattern(kind).split('.');
      const subject = nodeReportSubject('n1', kind).split('.');
      expect(pattern).toHaveLength(subject.length);
      expect(pattern.map((token) => (token === '*' ? 'n1' : token))).toEqual(subject);
    },
  );

  test.each(againReportKinds)(
    'a %s asked again is the same report of the same node, on its own subject and pattern',
    (kind) => {
      const subject = nodeReportAgainSubject('n1', kind);
      expect(subject).toBe(`canopy.node.n1.${kind}.again`);
      expect(parseNodeReportSubject(subject)).toEqual({ nodeId: 'n1', kind });
      expect(nodeIdFromSubject(subject, kind)).toBe('n1');
      expect(nodeReportAgainPattern(kind)).toBe(`canopy.node.*.${kind}.again`);
      // Within what the node may publish.
      expect(nodePermissions('n1').publish.allow).toEqual(['canopy.node.n1.>']);
    },
  );

  test.each(unsafeNodeIds)('every subject builder rejects the unsafe node id %j', (nodeId) => {
    for (const build of [
      () => nodeReportSubject(nodeId, 'heartbeat'),
      () => nodeReportAgainSubject(nodeId, 'result'),
      () => assignmentSubject(nodeId),
      () => cancellationSubject(nodeId),
      () => nodeInboxPrefix(nodeId),
      () => nodePermissions(nodeId),
    ]) {
      expect(build).toThrow(ContractViolationError);
    }
  });

  test('names the node id as the offending field', () => {
    expect(() => assignmentSubject('a.b')).toThrow(expect.objectContaining({ field: 'nodeId' }));
  });

  test.each([
    'canopy.node.n1',
    'canopy.node.n1.result.extra',
    'canopy.node.n1.heartbeat.again',
    'canopy.node.n1.announce.again',
    'canopy.node.n1.result.again.again',
    'canopy.node.*.result',
    'canopy.node..result',
    'canopy.node.n1.steal',
    'canopy.nodes.n1.result',
    'other.node.n1.result',
    'canopy.assign.n1',
    '',
  ])('parseNodeReportSubject rejects %j', (subject) => {
    expect(() => parseNodeReportSubject(subject)).toThrow(
      expect.objectContaining({ field: 'subject' }),
    );
  });

  test('nodeIdFromSubject rejects a report of another kind', () => {
    expect(() => nodeIdFromSubject('canopy.node.n1.progress', 'result')).toThrow(
      ContractViolationError,
    );
  });

  test('taskNotificationSubject rejects a task id that is not an object id', () => {
    expect(() => taskNotificationSubject('6405942c9956fae80d7e0e91.>')).toThrow(
      ContractViolationError,
    );
    expect(() => taskNotificationSubject('*')).toThrow(ContractViolationError);
  });

  test('node permissions bind the node to its own subjects', () => {
    expect(nodePermissions('n1')).toEqual({
      publish: { allow: ['canopy.node.n1.>'] },
      subscribe: { allow: ['canopy.assign.n1', 'canopy.cancel.n1', '_INBOX_n1.>'] },
      allowResponses: true,
    });
    expect(nodeInboxPrefix('n1')).toBe('_INBOX_n1');
  });
});
