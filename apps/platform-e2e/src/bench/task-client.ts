import type { BenchHttpClient } from './bench-http-client.js';
import { wallClockMs } from './load-shapes.js';

// One client task as the benchmark's clients run it: POST /v1/task/:fn, then
// GET /v1/task/:id/result?wait=30 until the answer is not a 202.

export interface ClientTask {
  /** Set once the gateway answered 201. */
  readonly taskId: string | undefined;
  /** Wall-clock ms: the POST left the client. */
  readonly postSent: number;
  /** Wall-clock ms: the 201 arrived. */
  readonly createdReceived: number | undefined;
  /** Wall-clock ms: the result arrived (whatever its status). */
  readonly resultReceived: number | undefined;
  /** Why the task did not end with a 200 result; undefined when it did. */
  readonly error: string | undefined;
}

export async function issueTaskAndAwaitResult(
  http: BenchHttpClient,
  token: string,
  functionId: string,
): Promise<ClientTask> {
  const postSent = wallClockMs();
  let taskId: string | undefined;
  let createdReceived: number | undefined;
  try {
    const issued = await http.send(`/v1/task/${functionId}`, {
      method: 'POST',
      token,
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    const answer = jsonOf(issued.body) as { id?: string };
    createdReceived = wallClockMs();
    if (issued.status !== 201 || answer.id === undefined) {
      return {
        taskId,
        postSent,
        createdReceived,
        resultReceived: undefined,
        error: `POST answered ${issued.status}`,
      };
    }
    taskId = answer.id;
    for (;;) {
      const result = await http.send(`/v1/task/${taskId}/result?wait=30`, { token });
      if (result.status === 202) continue;
      const resultReceived = wallClockMs();
      const error = result.status === 200 ? undefined : `result ${result.status}`;
      return { taskId, postSent, createdReceived, resultReceived, error };
    }
  } catch (error) {
    const reason =
      error instanceof Error
        ? error.cause instanceof Error
          ? error.cause.message
          : error.message
        : String(error);
    return {
      taskId,
      postSent,
      createdReceived,
      resultReceived: undefined,
      error: `request failed: ${reason}`,
    };
  }
}

function jsonOf(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return {};
  }
}
