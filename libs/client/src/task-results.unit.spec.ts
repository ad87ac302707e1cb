import { CanopyApiError, CanopyTaskFailedError } from './canopy-api-error.js';
import { readTaskResult } from './task-results.js';

const taskId = '0123456789abcdef01234567';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
  });
}

describe('reading a task result', () => {
  test('202 is the progress of a task not finished yet', async () => {
    await expect(readTaskResult(taskId, json(202, { progress: 40, status: 0 }))).resolves.toEqual({
      kind: 'pending',
      taskId,
      progress: 40,
    });
  });

  test("the function's response comes back with its status, type and bytes unchanged", async () => {
    const bytes = new Uint8Array([0, 255, 1, 254]);
    const state = await readTaskResult(
      taskId,
      new Response(bytes, { status: 201, headers: { 'content-type': 'application/x-thing' } }),
    );
    if (state.kind !== 'finished') throw new Error('expected a finished task');
    expect(state.response.status).toBe(201);
    expect(state.response.contentType).toBe('application/x-thing');
    expect([...state.response.body]).toEqual([...bytes]);
  });

  test("a function's own error response is its response, not an API error", async () => {
    const state = await readTaskResult(taskId, json(404, { error: 'NO_SUCH_CITY', message: 'x' }));
    expect(state).toMatchObject({ kind: 'finished', response: { status: 404 } });
    if (state.kind === 'finished')
      expect(state.response.json()).toEqual({ error: 'NO_SUCH_CITY', message: 'x' });
  });

  test('a task the platform gave up on is a CanopyTaskFailedError with its reason', async () => {
    const failure = readTaskResult(
      taskId,
      json(504, { error: 'TIMEOUT', message: 'the function did not finish within its timeout' }),
    );
    await expect(failure).rejects.toBeInstanceOf(CanopyTaskFailedError);
    await expect(failure).rejects.toMatchObject({ taskId, status: 504, code: 'TIMEOUT' });
  });

  test("the API's refusal (no such task) is a CanopyApiError with its message", async () => {
    const refusal = readTaskResult(
      taskId,
      json(404, { error: 'NOT_FOUND', message: `no task ${taskId}` }),
    );
    await expect(refusal).rejects.toBeInstanceOf(CanopyApiError);
    await expect(refusal).rejects.toMatchObject({
      status: 404,
      code: 'NOT_FOUND',
      message: `no task ${taskId}`,
    });
  });
});
