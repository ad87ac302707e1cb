import { SpanKind, context, trace } from '@opentelemetry/api';
import { headers as natsHeaders } from '@nats-io/transport-node';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import {
  REQUEST_ID_NATS_HEADER,
  noOrigin,
  originHeaders,
  originOfHeaders,
} from '../correlation/message-origin.js';
import {
  activeTraceLogFields,
  inSpan,
  traceContextOfFields,
  traceContextOfHeaders,
  traceFieldsOf,
  traceHeaders,
} from './trace-context.js';
import { startTracing, tracingEnabled, type RunningTracing } from './tracing.js';

const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
const parentSpanId = '00f067aa0ba902b7';
const traceparent = `00-${traceId}-${parentSpanId}-01`;

describe('while tracing is off', () => {
  test('nothing is read, written or recorded', async () => {
    expect(tracingEnabled()).toBe(false);
    const incoming = natsHeaders();
    incoming.set('traceparent', traceparent);
    expect(traceContextOfHeaders(incoming)).toBeUndefined();
    expect(traceContextOfFields({ traceparent })).toBeUndefined();
    expect(traceFieldsOf(context.active())).toBeUndefined();
    expect(traceHeaders(context.active())).toBeUndefined();
    const handed = await inSpan('work', {}, undefined, async (span, spanContext) => [
      span,
      spanContext,
    ]);
    expect(handed).toEqual([undefined, undefined]);
    expect(activeTraceLogFields()).toEqual({});
  });

  test('the request id still travels, alone', () => {
    const headers = originHeaders({ requestId: 'req-1', trace: context.active() });
    expect(headers?.keys()).toEqual([REQUEST_ID_NATS_HEADER]);
    expect(originOfHeaders(headers)).toEqual({ requestId: 'req-1' });
    expect(originHeaders(noOrigin)).toBeUndefined();
    expect(originOfHeaders(undefined)).toBe(noOrigin);
  });
});

describe('while tracing is on', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: RunningTracing;

  beforeAll(() => {
    tracing = startTracing(
      'test-service',
      { enabled: true, exporters: [], protocol: 'http/json' },
      {
        exporters: [exporter],
      },
    );
  });
  afterAll(() => tracing.shutdown());
  beforeEach(() => exporter.reset());

  test('a context travels through NATS headers: a span continues the sender’s trace', async () => {
    const incoming = natsHeaders();
    incoming.set('traceparent', traceparent);
    incoming.set('tracestate', 'vendor=1');
    const parent = traceContextOfHeaders(incoming);
    if (parent === undefined) throw new Error('no context from the headers');
    expect(trace.getSpanContext(parent)).toMatchObject({ traceId, spanId: parentSpanId });

    const outgoing = await inSpan(
      'hop',
      { kind: SpanKind.CONSUMER },
      parent,
      async (_span, spanContext) => traceHeaders(spanContext),
    );
    const [hop] = exporter.getFinishedSpans();
    expect(hop).toMatchObject({ name: 'hop', kind: SpanKind.CONSUMER });
    expect(hop?.spanContext().traceId).toBe(traceId);
    expect(hop?.parentSpanContext?.spanId).toBe(parentSpanId);
    expect(hop?.resource.attributes['service.name']).toBe('test-service');
    // What the next process receives names the hop as its parent, in the same trace.
    expect(outgoing?.get('traceparent')).toBe(`00-${traceId}-${hop?.spanContext().spanId}-01`);
    expect(outgoing?.get('tracestate')).toBe('vendor=1');
  });

  test('a context travels through event metadata', async () => {
    const fields = await inSpan('decide', {}, undefined, async (_span, spanContext) =>
      traceFieldsOf(spanContext),
    );
    const [decided] = exporter.getFinishedSpans();
    expect(fields).toEqual({
      traceparent: `00-${decided?.spanContext().traceId}-${decided?.spanContext().spanId}-01`,
    });
    const continued = traceContextOfFields({ schemaVersion: 1, ...fields } as never);
    if (continued === undefined) throw new Error('no context from the metadata');
    expect(trace.getSpanContext(continued)?.traceId).toBe(decided?.spanContext().traceId);
    expect(traceContextOfFields({})).toBeUndefined();
    expect(traceContextOfFields(undefined)).toBeUndefined();
  });

  test('a message without trace context starts no trace from it', () => {
    expect(traceContextOfHeaders(undefined)).toBeUndefined();
    expect(traceContextOfHeaders(natsHeaders())).toBeUndefined();
  });

  test('the origin carries the request id and the trace together', async () => {
    await inSpan('request', {}, undefined, async (_span, spanContext) => {
      const received = originOfHeaders(originHeaders({ requestId: 'req-2', trace: spanContext }));
      expect(received.requestId).toBe('req-2');
      if (received.trace === undefined || spanContext === undefined) throw new Error('no trace');
      expect(trace.getSpanContext(received.trace)?.spanId).toBe(
        trace.getSpanContext(spanContext)?.spanId,
      );
    });
  });

  test('an insane request id in the headers is ignored', () => {
    const headers = natsHeaders();
    headers.set(REQUEST_ID_NATS_HEADER, 'a b');
    expect(originOfHeaders(headers)).toBe(noOrigin);
  });

  test('a failing span is ended as an error; log lines inside name its trace', async () => {
    let logged: object = {};
    await expect(
      inSpan('fails', {}, undefined, async () => {
        logged = activeTraceLogFields();
        throw new Error('no');
      }),
    ).rejects.toThrow('no');
    const [span] = exporter.getFinishedSpans();
    expect(span?.status).toMatchObject({ code: 2, message: 'no' });
    expect(logged).toEqual({
      trace_id: span?.spanContext().traceId,
      span_id: span?.spanContext().spanId,
    });
    expect(activeTraceLogFields()).toEqual({});
  });
});
