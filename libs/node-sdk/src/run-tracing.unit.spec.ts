import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { RunTrace } from './run-tracing.js';
import { sampleAssignment } from './testing/sample-assignment.js';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const schedulerSpanId = '00f067aa0ba902b7';
const traceparent = `00-${traceId}-${schedulerSpanId}-01`;

function assignmentHeaders(values: Record<string, string>) {
  const headers = natsHeaders();
  for (const [key, value] of Object.entries(values)) headers.set(key, value);
  return headers;
}

const responded = (status: number) => ({
  kind: 'responded' as const,
  result: { status, contentType: null, body: '' },
});

describe('a run in a process without an OpenTelemetry SDK', () => {
  test('passes the scheduler’s trace context on, to the function and with its reports', () => {
    const run = new RunTrace(
      sampleAssignment(),
      assignmentHeaders({ traceparent, tracestate: 'vendor=1' }),
    );
    expect(run.headers).toEqual({ traceparent, tracestate: 'vendor=1' });
    const reports = run.reportHeaders();
    expect([reports?.get('traceparent'), reports?.get('tracestate')]).toEqual([
      traceparent,
      'vendor=1',
    ]);
    run.end(responded(200));
  });

  test('an assignment without trace context hands on none', () => {
    const run = new RunTrace(sampleAssignment(), undefined);
    expect(run.headers).toBeUndefined();
    expect(run.reportHeaders()).toBeUndefined();
    expect(new RunTrace(sampleAssignment(), natsHeaders()).headers).toBeUndefined();
  });
});

describe('a run in a process that traces', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  beforeAll(() => {
    trace.setGlobalTracerProvider(provider);
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    propagation.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  test('is a span continuing the assignment’s trace; the function and reports get the run’s', () => {
    const assignment = sampleAssignment();
    const run = new RunTrace(assignment, assignmentHeaders({ traceparent }));
    run.end(responded(201));
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('run task');
    expect(span?.spanContext().traceId).toBe(traceId);
    expect(span?.parentSpanContext?.spanId).toBe(schedulerSpanId);
    expect(span?.attributes).toMatchObject({
      'canopy.task.id': assignment.taskId,
      'canopy.attempt': assignment.attempt,
      'http.response.status_code': 201,
    });
    const own = `00-${traceId}-${span?.spanContext().spanId}-01`;
    expect(run.headers).toEqual({ traceparent: own });
    expect(run.reportHeaders()?.get('traceparent')).toBe(own);
  });

  test('a run without the scheduler’s context starts a trace; failures end it as an error', () => {
    new RunTrace(sampleAssignment(), undefined).end(responded(503));
    new RunTrace(sampleAssignment(), undefined).end({ kind: 'threw', error: new Error('boom') });
    new RunTrace(sampleAssignment(), undefined).end({
      kind: 'aborted',
      abort: { kind: 'timeout', timeoutSeconds: 1 },
    });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.parentSpanContext)).toEqual([undefined, undefined, undefined]);
    expect(spans.map((span) => [span.status.code, span.status.message])).toEqual([
      [2, undefined],
      [2, 'the handler threw'],
      [2, 'aborted: timeout'],
    ]);
  });
});
