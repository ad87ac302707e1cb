import { randomBytes } from 'node:crypto';
import { eventually } from '@canopy/async-testing';
import { taskStreamId } from '@canopy/contracts';
import { startOtlpReceiver, type ReceivedSpan } from './testing/otlp-receiver.js';
import type { PlatformStack } from './testing/platform-stack.js';
import { stackForFile } from './testing/stack-for-file.js';

// Tracing with real processes: every service and the node agent export their spans over OTLP/HTTP
// (JSON) to a receiver in this test, as they would to a collector. One task issued with a client's
// `traceparent` must come back as one trace: the gateway's HTTP spans, the scheduler's (the issue,
// the assignment, the node's result), the node's run and the projector's, each the child of the one
// before it across the process boundaries, with the function handed the run's context.

const receiver = await startOtlpReceiver();
afterAll(() => receiver.close());

const e2e = stackForFile({
  label: 'tracing',
  // A PostgreSQL of its own: the projector waits for every older transaction of its server to end
  // (a fence against out-of-order commits), and other test runs' transactions on a shared server
  // would hold the projector's span back for as long as they last.
  ownPostgres: true,
  logLevel: 'info',
  keepAllOutput: true,
  processEnv: {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Sent within a fraction of a second rather than the default 5 s.
    OTEL_BSP_SCHEDULE_DELAY: '100',
  },
});

// The function answers with the W3C trace context it was started with.
const printTraceparent = {
  kind: 'process',
  command: '/bin/sh',
  args: ['-c', 'printf %s "$TRACEPARENT"'],
};

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

function spanNamed(spans: readonly ReceivedSpan[], service: string, name: string): ReceivedSpan {
  const found = spans.find((span) => span.service === service && span.name === name);
  if (found === undefined) {
    const seen = spans.map((span) => `${span.service}: ${span.name}`).join(', ');
    throw new Error(`no span "${name}" from ${service} yet (the trace has: ${seen})`);
  }
  return found;
}

async function issueTraced(
  stack: PlatformStack,
  token: string,
  functionId: string,
  headers: Record<string, string>,
) {
  const issued = await stack.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
    method: 'POST',
    token,
    json: { traced: true },
    headers,
  });
  expect(issued.status).toBe(201);
  return issued;
}

e2e.test(
  'one trace links the HTTP request, the scheduler, the node’s run, the projector and /result',
  async (stack) => {
    const { token } = await stack.signUp('tracing');
    const functionId = await stack.registerFunction(token, {
      name: 'traceparent',
      runtime: printTraceparent,
    });
    await stack.startNode();
    const traceId = hex(16);
    const clientSpanId = hex(8);
    const traceparent = `00-${traceId}-${clientSpanId}-01`;
    const requestId = `trace-e2e-${hex(4)}`;

    const issued = await issueTraced(stack, token, functionId, {
      traceparent,
      'x-request-id': requestId,
    });
    expect(issued.headers.get('x-request-id')).toBe(requestId);
    const taskId = issued.body.id;
    const result = await stack.request(`/v1/task/${taskId}/result?wait=30`, {
      token,
      headers: { traceparent },
    });
    expect(result.status).toBe(200);
    const handed = await result.text();
    expect(handed).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));

    // Each process exports its spans in batches of its own: wait until every one has come.
    const {
      post,
      sendIssue,
      issue,
      assign,
      run,
      report,
      projectIssued,
      projectAssigned,
      projectFinished,
      readResult,
    } = await eventually(() => {
      const spans = receiver.spans.filter((span) => span.traceId === traceId);
      return {
        post: spanNamed(spans, 'canopy-gateway', 'POST /v1/task/:id'),
        sendIssue: spanNamed(spans, 'canopy-gateway', 'IssueTask'),
        issue: spanNamed(spans, 'canopy-scheduler', 'IssueTask'),
        assign: spanNamed(spans, 'canopy-scheduler', 'assign task'),
        run: spanNamed(spans, 'canopy-node-agent', 'run task'),
        report: spanNamed(spans, 'canopy-scheduler', 'node result'),
        projectIssued: spanNamed(spans, 'canopy-projector', 'project TaskIssued'),
        projectAssigned: spanNamed(spans, 'canopy-projector', 'project TaskAssigned'),
        projectFinished: spanNamed(spans, 'canopy-projector', 'project TaskFinished'),
        readResult: spanNamed(spans, 'canopy-gateway', 'GET /v1/task/:id/result'),
      };
    }, 60_000);
    // Each continues the one before it, across HTTP, NATS headers and event metadata.
    expect({
      post: post.parentSpanId,
      sendIssue: sendIssue.parentSpanId,
      issue: issue.parentSpanId,
      projectIssued: projectIssued.parentSpanId,
      assign: assign.parentSpanId,
      projectAssigned: projectAssigned.parentSpanId,
      run: run.parentSpanId,
      report: report.parentSpanId,
      projectFinished: projectFinished.parentSpanId,
      readResult: readResult.parentSpanId,
    }).toEqual({
      post: clientSpanId,
      sendIssue: post.spanId,
      issue: sendIssue.spanId,
      projectIssued: issue.spanId,
      assign: issue.spanId,
      projectAssigned: assign.spanId,
      run: assign.spanId,
      report: run.spanId,
      projectFinished: report.spanId,
      readResult: clientSpanId,
    });
    // The function process was handed the run's own context.
    expect(handed).toBe(`00-${traceId}-${run.spanId}-01`);
    expect(post.attributes).toMatchObject({
      'http.route': '/v1/task/:id',
      'http.response.status_code': 201,
      'canopy.request.id': requestId,
    });
    expect(run.attributes).toMatchObject({ 'canopy.task.id': taskId, 'canopy.attempt': 1 });
    expect(receiver.refused).toBe(0);

    // The events name the request that started the task, what caused each, and the deciding span.
    const events = await stack.store.readStream(taskStreamId(taskId));
    const metadataOf = (type: string) => events.find((event) => event.type === type)?.metadata;
    expect(metadataOf('TaskIssued')).toEqual({
      schemaVersion: 1,
      correlationId: requestId,
      causationId: requestId,
      traceparent: `00-${traceId}-${issue.spanId}-01`,
    });
    expect(metadataOf('TaskAssigned')).toEqual({
      schemaVersion: 1,
      epoch: expect.any(Number),
      correlationId: requestId,
      traceparent: `00-${traceId}-${assign.spanId}-01`,
    });
    expect(metadataOf('TaskFinished')).toEqual({
      schemaVersion: 1,
      correlationId: requestId,
      causationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      traceparent: `00-${traceId}-${report.spanId}-01`,
    });

    // Log lines about the task carry the request id and the trace id, in the gateway and beyond.
    const lines = stack
      .allOutput()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(
      expect.objectContaining({
        service: 'gateway',
        msg: 'task issued',
        taskId,
        requestId,
        trace_id: traceId,
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        service: 'scheduler',
        msg: 'task issued',
        taskId,
        requestId,
        trace_id: traceId,
      }),
    );
  },
  120_000,
);

e2e.test(
  'without a client’s context each request is a trace and has an id of its own',
  async (stack) => {
    const { token } = await stack.signUp('untraced-client');
    const functionId = await stack.registerFunction(token, {
      name: 'traceparent',
      runtime: printTraceparent,
    });
    const first = await issueTraced(stack, token, functionId, { 'x-request-id': 'not sane!' });
    const second = await issueTraced(stack, token, functionId, {});
    const ids = [first, second].map((issued) => issued.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(ids[0]).not.toBe(ids[1]);
    const [issued] = await stack.store.readStream(taskStreamId(first.body.id), { maxCount: 1 });
    expect(issued?.metadata).toMatchObject({ correlationId: ids[0], causationId: ids[0] });
    // Errors are answered with the request's id too.
    const missing = await stack.request('/v1/task/6405848581b16f7a07cd4c48', { token });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const traceparent = (issued?.metadata as { traceparent?: string }).traceparent ?? '';
    const traceId = traceparent.split('-')[1];
    await eventually(() => {
      const posts = receiver.spans.filter(
        (span) => span.traceId === traceId && span.name === 'POST /v1/task/:id',
      );
      expect(posts).toEqual([
        expect.objectContaining({ service: 'canopy-gateway', parentSpanId: '' }),
      ]);
    }, 30_000);
  },
);
