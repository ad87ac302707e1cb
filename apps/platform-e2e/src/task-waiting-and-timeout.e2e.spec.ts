import { eventually } from '@canopy/async-testing';
import { stackForFile } from './testing/stack-for-file.js';

// Tasks the platform holds back or stops: a privileged task waits for a privileged node, and a task
// running past its function's timeout fails with TIMEOUT.

const e2e = stackForFile({ label: 'waiting' });

let token = '';

beforeAll(async () => {
  const { stack } = e2e;
  ({ token } = await stack.signUp('waiting'));
  // An unprivileged node is there all along: the privileged task must not go to it.
  await stack.startNode({ slots: 2 });
}, 120_000);

e2e.test(
  'a privileged task waits until a privileged node joins, then finishes there',
  async (stack) => {
    const functionId = await stack.registerFunction(token, {
      name: 'privileged echo',
      privileged: true,
      runtime: { kind: 'process', command: 'cat' },
    });
    const issued = await stack.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
      method: 'POST',
      token,
      json: { privileged: 'yes' },
    });
    expect(issued.status).toBe(201);
    const taskId = issued.body.id;

    // Several heartbeats and matching rounds pass while it waits.
    const waiting = await stack.requestJson<{ progress: number; status: number }>(
      `/v1/task/${taskId}/result?wait=3`,
      { token },
    );
    expect(waiting.status).toBe(202);
    expect(waiting.body).toEqual({ progress: 0, status: 0 });
    const pending = await stack.requestJson<Record<string, unknown>>(`/v1/task/${taskId}`, {
      token,
    });
    expect(pending.body).toMatchObject({ status: 0, node: null, assigned: null, finished: null });
    expect(pending.body['capabilities']).toMatchObject({ privileged: true });

    const privilegedNode = await stack.startNode({ slots: 1, privileged: true });
    const result = await eventually(async () => {
      const answer = await stack.request(`/v1/task/${taskId}/result?wait=20`, { token });
      expect(answer.status).toBe(200);
      return answer;
    }, 60_000);
    expect(await result.json()).toEqual({ privileged: 'yes' });
    // GET reads the read models first, which may lag the result (served from the stream) briefly.
    await eventually(async () => {
      const finished = await stack.requestJson<Record<string, unknown>>(`/v1/task/${taskId}`, {
        token,
      });
      expect(finished.body).toMatchObject({ status: 200, node: privilegedNode.nodeId });
    }, 30_000);
  },
);

e2e.test('a task running past its timeout fails with 504 TIMEOUT', async (stack) => {
  const functionId = await stack.registerFunction(token, {
    name: 'too slow',
    timeout: 1,
    runtime: { kind: 'process', command: 'sleep', args: ['10'] },
  });
  const issued = await stack.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
    method: 'POST',
    token,
  });
  expect(issued.status).toBe(201);
  const taskId = issued.body.id;

  const result = await eventually(async () => {
    const answer = await stack.requestJson<{ error?: string; message?: string }>(
      `/v1/task/${taskId}/result?wait=20`,
      { token },
    );
    expect(answer.status).not.toBe(202);
    return answer;
  }, 60_000);
  expect(result.status).toBe(504);
  expect(result.body).toEqual({ error: 'TIMEOUT', message: expect.any(String) });
  await eventually(async () => {
    const task = await stack.requestJson<Record<string, unknown>>(`/v1/task/${taskId}`, {
      token,
    });
    expect(task.body).toMatchObject({ status: 504, timeout: 1 });
    expect(task.body['finished']).toEqual(expect.stringMatching(/^[0-9]{10}$/));
  }, 30_000);
});
