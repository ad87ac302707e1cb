import {
  ROOT_CONTEXT,
  SpanStatusCode,
  context,
  propagation,
  trace,
  type Context,
  type Span,
  type SpanOptions,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import type { IncomingHttpHeaders } from 'node:http';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { tracingEnabled } from './tracing.js';

// How a trace crosses Canopy's processes: W3C trace context (`traceparent`, `tracestate`) in the
// HTTP headers of a client's request to the gateway, in NATS message headers between processes, and in the metadata of the events a traced decision appends,
// from which the processes that follow the event store (the leading scheduler, the projector)
// continue it. Every function here does nothing, and allocates nothing, while tracing is off.

/** The W3C trace context fields, as carried by NATS headers and event metadata. */
export interface TraceContextFields {
  readonly traceparent?: string;
  readonly tracestate?: string;
}

const natsHeadersGetter: TextMapGetter<MsgHdrs> = {
  get: (carrier, key) => {
    const value = carrier.get(key);
    return value === '' ? undefined : value;
  },
  keys: (carrier) => carrier.keys(),
};

const natsHeadersSetter: TextMapSetter<MsgHdrs> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const fieldsGetter: TextMapGetter<TraceContextFields> = {
  get: (carrier, key) => {
    const value = (carrier as Record<string, unknown>)[key];
    return typeof value === 'string' ? value : undefined;
  },
  keys: (carrier) => Object.keys(carrier),
};

let canopyTracer: Tracer | undefined;

/** The tracer Canopy's services make their spans with. */
export function tracer(): Tracer {
  canopyTracer ??= trace.getTracer('canopy');
  return canopyTracer;
}

/** The trace context a NATS message carries; undefined when it carries none or tracing is off. */
export function traceContextOfHeaders(headers: MsgHdrs | undefined): Context | undefined {
  if (!tracingEnabled() || headers === undefined || !headers.has('traceparent')) return undefined;
  return propagation.extract(ROOT_CONTEXT, headers, natsHeadersGetter);
}

/** Writes the trace context (its current span) into NATS headers; nothing when tracing is off. */
export function injectTraceContext(traceContext: Context | undefined, headers: MsgHdrs): void {
  if (!tracingEnabled() || traceContext === undefined) return;
  propagation.inject(traceContext, headers, natsHeadersSetter);
}

/** NATS headers carrying the trace context; undefined when there is nothing to carry. */
export function traceHeaders(traceContext: Context | undefined): MsgHdrs | undefined {
  if (!tracingEnabled() || traceContext === undefined) return undefined;
  const headers = natsHeaders();
  propagation.inject(traceContext, headers, natsHeadersSetter);
  return headers.keys().length === 0 ? undefined : headers;
}

/**
 * The trace context as event metadata fields (`traceparent`, `tracestate`): recorded with the events
 * a traced decision appends. Undefined when tracing is off or the context holds no span.
 */
export function traceFieldsOf(traceContext: Context | undefined): TraceContextFields | undefined {
  if (!tracingEnabled() || traceContext === undefined) return undefined;
  const fields: Record<string, string> = {};
  propagation.inject(traceContext, fields);
  return fields['traceparent'] === undefined ? undefined : fields;
}

/** The trace context recorded in an event's metadata, to continue it; undefined without one. */
export function traceContextOfFields(fields: TraceContextFields | undefined): Context | undefined {
  if (!tracingEnabled() || fields?.traceparent === undefined) return undefined;
  return propagation.extract(ROOT_CONTEXT, fields, fieldsGetter);
}

/** The trace context an HTTP request's headers carry (the client's `traceparent`), to continue it. */
export function traceContextOfHttpHeaders(headers: IncomingHttpHeaders): Context | undefined {
  if (!tracingEnabled()) return undefined;
  return propagation.extract(ROOT_CONTEXT, headers);
}

/**
 * Starts a span, a child of `parent` (or a trace of its own without one), and gives it with the
 * context in which it is the active span. The caller ends it.
 */
export function startSpan(
  name: string,
  options: SpanOptions,
  parent: Context | undefined,
): { span: Span; spanContext: Context } {
  const span = tracer().startSpan(name, options, parent ?? ROOT_CONTEXT);
  return { span, spanContext: trace.setSpan(parent ?? ROOT_CONTEXT, span) };
}

/**
 * Runs `work` in a span (a child of `parent`, or a trace of its own without one), ended when the
 * work settles and marked as an error when it throws. While tracing is off, runs `work` alone and
 * hands it no span.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  parent: Context | undefined,
  work: (span: Span | undefined, spanContext: Context | undefined) => Promise<T>,
): Promise<T> {
  if (!tracingEnabled()) return work(undefined, undefined);
  const { span, spanContext } = startSpan(name, options, parent);
  try {
    return await context.with(spanContext, () => work(span, spanContext));
  } catch (error) {
    failed(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks the span as failed with the error. */
export function failed(span: Span | undefined, error: unknown): void {
  if (span === undefined) return;
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}

/**
 * `trace_id` and `span_id` of the span active where a line is logged, for a logger's mixin: how log
 * lines and traces find each other. Empty outside a span.
 */
export function activeTraceLogFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}
