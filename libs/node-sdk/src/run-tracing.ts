import type { Assignment } from '@canopy/contracts';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  propagation,
  trace,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { RunOutcome } from './task-run.js';

// A run is traced with the OpenTelemetry API: its span ("run task") continues the trace of the
// scheduler's assignment (W3C trace context in the assignment's headers), and the run's reports carry
// its context back. With no OpenTelemetry SDK registered in the process, the API records nothing and
// the scheduler's context is passed on as it came.

/** W3C trace context, as a function receives it (`TRACEPARENT`, `traceparent` header...). */
export interface TraceContextHeaders {
  readonly traceparent: string;
  readonly tracestate?: string;
}

const getter: TextMapGetter<MsgHdrs> = {
  get: (carrier, key) => {
    const value = carrier.get(key);
    return value === '' ? undefined : value;
  },
  keys: (carrier) => carrier.keys(),
};

const setter: TextMapSetter<MsgHdrs> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

const tracer = trace.getTracer('@canopy/node-sdk');

/** The trace of one run: its span, the context its reports carry, what the function is handed. */
export class RunTrace {
  readonly context: Context;
  readonly headers: TraceContextHeaders | undefined;
  private readonly span: Span;

  constructor(assignment: Assignment, received: MsgHdrs | undefined) {
    const parent = received?.has('traceparent')
      ? propagation.extract(ROOT_CONTEXT, received, getter)
      : ROOT_CONTEXT;
    this.span = tracer.startSpan(
      'run task',
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'canopy.task.id': assignment.taskId,
          'canopy.attempt': assignment.attempt,
          'canopy.function.id': assignment.functionId,
        },
      },
      parent,
    );
    this.context = trace.setSpan(parent, this.span);
    this.headers = contextHeaders(this.context) ?? receivedHeaders(received);
  }

  /** Ends the span with the run's outcome. */
  end(outcome: RunOutcome): void {
    switch (outcome.kind) {
      case 'responded':
        this.span.setAttribute('http.response.status_code', outcome.result.status);
        if (outcome.result.status >= 500) this.span.setStatus({ code: SpanStatusCode.ERROR });
        break;
      case 'threw':
        if (outcome.error instanceof Error) this.span.recordException(outcome.error);
        this.span.setStatus({ code: SpanStatusCode.ERROR, message: 'the handler threw' });
        break;
      case 'aborted':
        this.span.setStatus({
          code: SpanStatusCode.ERROR,
          message: `aborted: ${outcome.abort.kind}`,
        });
        break;
      default: {
        const unknown: never = outcome;
        throw new Error(`unknown run outcome ${JSON.stringify(unknown)}`);
      }
    }
    this.span.end();
  }

  /** NATS headers for the run's reports: its context; undefined when there is none to send. */
  reportHeaders(): MsgHdrs | undefined {
    if (this.headers === undefined) return undefined;
    const headers = natsHeaders();
    propagation.inject(this.context, headers, setter);
    if (!headers.has('traceparent')) {
      headers.set('traceparent', this.headers.traceparent);
      if (this.headers.tracestate !== undefined) headers.set('tracestate', this.headers.tracestate);
    }
    return headers;
  }
}

// What the process's propagator writes for the run's span (nothing without an OpenTelemetry SDK).
function contextHeaders(runContext: Context): TraceContextHeaders | undefined {
  const carrier: { traceparent?: string; tracestate?: string } = {};
  propagation.inject(runContext, carrier);
  return carrier.traceparent === undefined
    ? undefined
    : {
        traceparent: carrier.traceparent,
        ...(carrier.tracestate === undefined ? {} : { tracestate: carrier.tracestate }),
      };
}

function receivedHeaders(received: MsgHdrs | undefined): TraceContextHeaders | undefined {
  const traceparent = received?.get('traceparent');
  if (received === undefined || traceparent === undefined || traceparent === '') return undefined;
  const tracestate = received.get('tracestate');
  return tracestate === '' ? { traceparent } : { traceparent, tracestate };
}
