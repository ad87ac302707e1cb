import { taskEvent } from '@canopy/contracts';
import {
  exampleResponse,
  exampleTaskId,
  exampleTaskIssuedData,
  exampleTime as t,
} from '@canopy/contracts/testing';
import { taskView } from './task-view.js';
import { foldTask, initialState } from './task.js';

const taskId = exampleTaskId;
const data = exampleTaskIssuedData();
const issued = taskEvent('TaskIssued', data);
const assigned = (nodeId: string, attempt: number, at: string) =>
  taskEvent('TaskAssigned', { taskId, nodeId, attempt, assignedAt: at });
const unassigned = (nodeId: string, attempt: number, at: string) =>
  taskEvent('TaskUnassigned', { taskId, nodeId, attempt, reason: 'NODE_LOST', at });
const progressed = (progress: number) =>
  taskEvent('TaskProgressed', { taskId, nodeId: 'n1', attempt: 1, progress, at: t(15) });

const view = (...events: Parameters<typeof foldTask>[0]) => taskView(foldTask(events));

const issuedOnly = {
  taskId,
  accountId: data.accountId,
  functionId: data.functionId,
  functionVersion: 1,
  scheduleId: null,
  phase: 'Waiting',
  issuedAt: t(0),
  assignedAt: null,
  finishedAt: null,
  nodeId: null,
  attempts: 0,
  progress: 0,
  status: 0,
  timeout: data.timeout,
  requirements: data.requirements,
  priority: 5,
  notBefore: null,
  response: null,
  failure: null,
};

describe('taskView', () => {
  test('a task never issued has no view', () => {
    expect(taskView(initialState())).toBeNull();
  });

  test('a waiting task has status 0 and no times but its issue time', () => {
    expect(view(issued)).toEqual(issuedOnly);
  });

  test('an assigned task shows its node, assignment time and progress', () => {
    expect(view(issued, assigned('n1', 1, t(10)), progressed(40))).toEqual({
      ...issuedOnly,
      phase: 'Assigned',
      assignedAt: t(10),
      nodeId: 'n1',
      attempts: 1,
      progress: 40,
    });
  });

  test('a task waiting again after an unassignment shows no node, but keeps its progress', () => {
    expect(
      view(issued, assigned('n1', 1, t(10)), progressed(40), unassigned('n1', 1, t(20))),
    ).toEqual({
      ...issuedOnly,
      attempts: 1,
      progress: 40,
    });
  });

  test("a finished task shows the function's status, 100 % progress and its response", () => {
    const response = exampleResponse({ status: 404 });
    const finished = taskEvent('TaskFinished', {
      taskId,
      nodeId: 'n2',
      attempt: 2,
      response,
      finishedAt: t(30),
    });
    expect(
      view(
        issued,
        assigned('n1', 1, t(10)),
        unassigned('n1', 1, t(20)),
        assigned('n2', 2, t(25)),
        finished,
      ),
    ).toEqual({
      ...issuedOnly,
      phase: 'Finished',
      assignedAt: t(25),
      finishedAt: t(30),
      nodeId: 'n2',
      attempts: 2,
      progress: 100,
      status: 404,
      response,
    });
  });

  test.each([
    ['TIMEOUT', 504],
    ['CANCELLED', 499],
    ['NODE_LOST', 502],
  ] as const)(
    'a task failed with %s while assigned shows status %d and the node it ran on',
    (reason, status) => {
      const failed = taskEvent('TaskFailed', {
        taskId,
        reason,
        status,
        message: 'gave up',
        at: t(40),
      });
      expect(view(issued, assigned('n1', 1, t(10)), progressed(70), failed)).toEqual({
        ...issuedOnly,
        phase: 'Failed',
        assignedAt: t(10),
        finishedAt: t(40),
        nodeId: 'n1',
        attempts: 1,
        progress: 70,
        status,
        failure: { reason, message: 'gave up' },
      });
    },
  );

  test('a task no node ever took shows 503 and no node', () => {
    const failed = taskEvent('TaskFailed', {
      taskId,
      reason: 'NO_RUNNER',
      status: 503,
      message: 'no node',
      at: t(60),
    });
    expect(view(issued, failed)).toEqual({
      ...issuedOnly,
      phase: 'Failed',
      finishedAt: t(60),
      status: 503,
      failure: { reason: 'NO_RUNNER', message: 'no node' },
    });
  });
});
