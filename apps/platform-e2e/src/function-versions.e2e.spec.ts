import { eventually } from '@canopy/async-testing';
import { taskStreamId } from '@canopy/contracts';
import { withSubscriptionsHeldBack } from '@canopy/event-store/testing';
import type { PlatformStack } from './testing/platform-stack.js';
import { stackForFile } from './testing/stack-for-file.js';

// Function versions with real processes: a task runs the version of its function it was issued
// against, even when the function changes before a node takes it; a task issued once a change has
// been answered runs the new version; a deleted function takes no new task, while the tasks it has
// and their results stay readable.

const e2e = stackForFile({ label: 'function_versions' });

const echo = (word: string) => ({ kind: 'process', command: 'echo', args: [word] });

async function issue(stack: PlatformStack, token: string, functionId: string) {
  return stack.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
    method: 'POST',
    token,
    json: {},
  });
}

async function resultText(stack: PlatformStack, token: string, taskId: string): Promise<string> {
  return eventually(async () => {
    const answer = await stack.request(`/v1/task/${taskId}/result?wait=20`, { token });
    expect(answer.status).toBe(200);
    return (await answer.text()).trim();
  }, 60_000);
}

async function issuedVersion(stack: PlatformStack, taskId: string): Promise<unknown> {
  const [issued] = await stack.store.readStream(taskStreamId(taskId), { maxCount: 1 });
  return (issued?.data as { functionVersion?: unknown } | undefined)?.functionVersion;
}

e2e.test(
  'a task issued before a PATCH runs the old runtime, a task issued after it the new one',
  async (stack) => {
    const { token } = await stack.signUp('versions');
    // No node runs yet: the first task waits in the queue while its function changes.
    const functionId = await stack.registerFunction(token, { name: 'say', runtime: echo('old') });
    const before = await issue(stack, token, functionId);
    expect(before.status).toBe(201);

    const patched = await stack.requestJson<{ version: number; runtime: unknown }>(
      `/v1/function/${functionId}`,
      { method: 'PATCH', token, json: { runtime: echo('new') } },
    );
    expect({ status: patched.status, body: patched.body }).toMatchObject({
      status: 200,
      body: { version: 2, runtime: echo('new') },
    });
    const versions = await Promise.all(
      ['', '?version=1'].map((query) =>
        stack.requestJson<{ version: number; runtime: unknown }>(
          `/v1/function/${functionId}${query}`,
          { token },
        ),
      ),
    );
    expect(versions.map(({ body }) => [body.version, body.runtime])).toEqual([
      [2, echo('new')],
      [1, echo('old')],
    ]);

    // The PATCH was answered once the leading scheduler had the change: a task issued now is
    // issued against version 2.
    const after = await issue(stack, token, functionId);
    expect(after.status).toBe(201);
    expect(await issuedVersion(stack, after.body.id)).toBe(2);
    expect(await issuedVersion(stack, before.body.id)).toBe(1);

    await stack.startNode({ slots: 2 });
    expect(await resultText(stack, token, before.body.id)).toBe('old');
    expect(await resultText(stack, token, after.body.id)).toBe('new');
  },
  120_000,
);

e2e.test(
  'after a DELETE a new task is a 404, and the tasks the function ran stay readable',
  async (stack) => {
    const { token } = await stack.signUp('deletion');
    const functionId = await stack.registerFunction(token, { name: 'gone', runtime: echo('kept') });
    const finished = await issue(stack, token, functionId);
    expect(finished.status).toBe(201);
    expect(await resultText(stack, token, finished.body.id)).toBe('kept');

    const deleted = await stack.request(`/v1/function/${functionId}`, {
      method: 'DELETE',
      token,
    });
    expect(deleted.status).toBe(204);
    expect((await stack.request(`/v1/function/${functionId}`, { token })).status).toBe(404);
    // The DELETE was answered once the leading scheduler had the deletion: no task from now on.
    const refused = await issue(stack, token, functionId);
    expect({ status: refused.status, body: refused.body }).toEqual({
      status: 404,
      body: { error: 'NOT_FOUND', message: `no function ${functionId}` },
    });

    expect(await resultText(stack, token, finished.body.id)).toBe('kept');
    const task = await stack.requestJson<{ functionId: string; status: number }>(
      `/v1/task/${finished.body.id}`,
      { token },
    );
    expect(task.body).toMatchObject({ functionId, status: 200 });
    await eventually(async () => {
      const csv = await stack.request(`/v1/task/${functionId}/csv?showPlain=true`, { token });
      expect(csv.status).toBe(200);
      expect(await csv.text()).toContain(finished.body.id);
    }, 30_000);
    // The list reads the read model, which shows the deletion once the projector has applied it.
    await eventually(async () => {
      const list = await stack.requestJson<{ id: string }[]>('/v1/function/list', { token });
      expect(list.body).toEqual([]);
    }, 30_000);
  },
  120_000,
);

e2e.test(
  'a change answered is what the next task gets, also while the schedulers hear of nothing',
  async (stack) => {
    const { token } = await stack.signUp('answered-changes');
    const changed = await stack.registerFunction(token, { name: 'changed', runtime: echo('v1') });
    const deleted = await stack.registerFunction(token, { name: 'deleted', runtime: echo('v1') });
    // The leading scheduler remembers both at version 1: it issued a task of each.
    for (const functionId of [changed, deleted]) {
      const issued = await issue(stack, token, functionId);
      expect(issued.status).toBe(201);
      expect(await issuedVersion(stack, issued.body.id)).toBe(1);
    }

    await withSubscriptionsHeldBack(stack.databaseUrl, async () => {
      const patched = await stack.requestJson<{ version: number }>(`/v1/function/${changed}`, {
        method: 'PATCH',
        token,
        json: { runtime: echo('v2') },
      });
      expect({ status: patched.status, version: patched.body.version }).toEqual({
        status: 200,
        version: 2,
      });
      const next = await issue(stack, token, changed);
      expect(next.status).toBe(201);
      expect(await issuedVersion(stack, next.body.id)).toBe(2);

      const removed = await stack.request(`/v1/function/${deleted}`, { method: 'DELETE', token });
      expect(removed.status).toBe(204);
      const refused = await issue(stack, token, deleted);
      expect({ status: refused.status, body: refused.body }).toEqual({
        status: 404,
        body: { error: 'NOT_FOUND', message: `no function ${deleted}` },
      });
    });
  },
  120_000,
);
