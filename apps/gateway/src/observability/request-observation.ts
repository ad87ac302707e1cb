import type { IncomingHttpHeaders } from 'node:http';
import {
  REQUEST_ID_HTTP_HEADER,
  acceptRequestId,
  newRequestId,
  startSpan,
  traceContextOfHttpHeaders,
  tracingEnabled,
} from '@canopy/observability';
import type { MessageOrigin } from '@canopy/observability';
import { SpanKind, SpanStatusCode, context, type Context, type Span } from '@opentelemetry/api';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

// Every request has an id: the client's `x-request-id` when it is a sane one, a new one otherwise.
// It is answered in `x-request-id` on every response (errors too), named in the gateway's log lines
// about the request, and sent to the scheduler with the request's messages, whose events record it
// as their correlation and causation ids. While tracing is on, every request is also a span (SERVER)
// continuing the client's `traceparent`, and the active span of the handler's code.

/** Fastify's `genReqId`: the id `request.id` holds. */
export function requestIdOf(request: { readonly headers: IncomingHttpHeaders }): string {
  return acceptRequestId(request.headers[REQUEST_ID_HTTP_HEADER]) ?? newRequestId();
}

interface RequestTrace {
  readonly span: Span;
  /** The context the request's handler runs in: the client's, with the request's span. */
  readonly context: Context;
}

const traces = new WeakMap<FastifyRequest, RequestTrace>();

/** Answers every request with its id and, while tracing is on, makes each a span. */
export function observeRequests(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HTTP_HEADER, request.id);
    if (tracingEnabled()) startRequestSpan(request);
    done();
  });
  if (!tracingEnabled()) return;
  // After the body is read, right before the handler: its code (and its log lines) run in the span.
  fastify.addHook('preHandler', (request, _reply, done) => {
    const traced = traces.get(request);
    if (traced === undefined) done();
    else context.with(traced.context, done);
  });
}

/** Ends the request's span, when it has one, with the route and status it was answered with. */
export function requestAnswered(request: FastifyRequest, reply: FastifyReply): void {
  const traced = traces.get(request);
  if (traced === undefined) return;
  traces.delete(request);
  const { span } = traced;
  const route = request.routeOptions.url;
  if (route !== undefined) {
    span.updateName(`${request.method} ${route}`);
    span.setAttribute('http.route', route);
  }
  span.setAttribute('http.response.status_code', reply.statusCode);
  if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}

/** The request id and, while tracing, the trace id of a request, for its log lines. */
export function requestLogFields(request: FastifyRequest): {
  requestId: string;
  trace_id?: string;
} {
  const traced = traces.get(request);
  return traced === undefined
    ? { requestId: request.id }
    : { requestId: request.id, trace_id: traced.span.spanContext().traceId };
}

/** What the request's messages to the scheduler carry: its id and, while tracing, its span. */
export function requestOriginOf(request: FastifyRequest): MessageOrigin {
  const traced = traces.get(request);
  return traced === undefined
    ? { requestId: request.id }
    : { requestId: request.id, trace: traced.context };
}

/** The {@link MessageOrigin} of the request a handler serves. */
export const RequestOrigin = createParamDecorator(
  (_data: unknown, execution: ExecutionContext): MessageOrigin =>
    requestOriginOf(execution.switchToHttp().getRequest<FastifyRequest>()),
);

function startRequestSpan(request: FastifyRequest): void {
  const { span, spanContext } = startSpan(
    request.method,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'canopy.request.id': request.id },
    },
    traceContextOfHttpHeaders(request.headers),
  );
  traces.set(request, { span, context: spanContext });
}
