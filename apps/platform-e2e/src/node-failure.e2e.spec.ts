import { randomUUID } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from '@canopy/async-testing';
import { taskStreamId } from '@canopy/contracts';
import { stackForFile } from './testing/stack-for-file.js';

// A node that dies mid-task (SIGKILL: no goodbye) is noticed by its missing heartbeats; the task
// goes to another node and finishes there.

const e2e = stackForFile({ label: 'node_failure' });

e2e.test(
  'a task whose node is killed is reassigned to another node and finishes',
  async (stack) => {
    const { token } = await stack.signUp('node-failure');
    const doomed = await stack.startNode({ slots: 1 });
    // The function finishes only once this file exists, which the test creates after the kill: a
    // slow machine cannot let the first run finish before its node is killed.
    const go = path.join(tmpdir(), `canopy-node-failure-${randomUUID()}`);
    const functionId = await stack.registerFunction(token, {
      name: 'slow echo',
      timeout: 60,
      runtime: {
        kind: 'process',
        command: 'sh',
        args: ['-c', 'echo "::progress 10" >&2; while [ ! -e "$0" ]; do sleep 0.1; done; cat', go],
      },
    });
    const issued = await stack.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
      method: 'POST',
      token,
      json: { survives: true },
    });
    expect(issued.status).toBe(201);
    const taskId = issued.body.id;

    await eventually(async () => {
      const task = await stack.requestJson<{ node: string | null; progress: number }>(
        `/v1/task/${taskId}`,
        { token },
      );
      expect(task.body).toMatchObject({ node: doomed.nodeId, progress: 10 });
    }, 30_000);
    const survivor = await stack.startNode({ slots: 1 });
    doomed.kill('SIGKILL');
    await doomed.process.exited;
    await writeFile(go, '');
    try {
      const result = await eventually(async () => {
        const answer = await stack.request(`/v1/task/${taskId}/result?wait=20`, { token });
        expect(answer.status).toBe(200);
        return answer;
      }, 60_000);
      expect(await result.json()).toEqual({ survives: true });
      await eventually(async () => {
        const task = await stack.requestJson<{ node: string; status: number }>(
          `/v1/task/${taskId}`,
          {
            token,
          },
        );
        expect(task.body).toMatchObject({ node: survivor.nodeId, status: 200 });
      }, 30_000);

      const events = await stack.store.readStream(taskStreamId(taskId));
      const assignedTo = events
        .filter((event) => event.type === 'TaskAssigned')
        .map((event) => (event.data as { nodeId?: string }).nodeId);
      expect(assignedTo).toEqual([doomed.nodeId, survivor.nodeId]);
    } finally {
      await rm(go, { force: true });
    }
  },
);
