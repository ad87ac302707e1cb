import type { Context } from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { injectTraceContext, traceContextOfHeaders } from '../tracing/trace-context.js';
import { tracingEnabled } from '../tracing/tracing.js';
import { acceptRequestId } from './request-id.js';

/** The NATS header that carries the id of the HTTP request a message was sent for. */
export const REQUEST_ID_NATS_HEADER = 'canopy-request-id';

/**
 * What a message was sent for: the HTTP request that caused it (its request id), and the trace it
 * continues while tracing is on. Carried in NATS headers; the receiver records the request id as its
 * events' correlation and causation ids and continues the trace.
 */
export interface MessageOrigin {
  readonly requestId?: string;
  readonly trace?: Context;
}

/** A message sent on the process's own account: no request behind it, no trace to continue. */
export const noOrigin: MessageOrigin = Object.freeze({});

/** NATS headers carrying the origin; undefined when there is nothing to carry. */
export function originHeaders(origin: MessageOrigin): MsgHdrs | undefined {
  const traced = tracingEnabled() && origin.trace !== undefined;
  if (origin.requestId === undefined && !traced) return undefined;
  const headers = natsHeaders();
  if (origin.requestId !== undefined) headers.set(REQUEST_ID_NATS_HEADER, origin.requestId);
  if (traced) injectTraceContext(origin.trace, headers);
  return headers;
}

/** The origin a received message's headers name (a request id that is not sane is ignored). */
export function originOfHeaders(headers: MsgHdrs | undefined): MessageOrigin {
  if (headers === undefined) return noOrigin;
  const requestId = acceptRequestId(headers.get(REQUEST_ID_NATS_HEADER));
  const trace = traceContextOfHeaders(headers);
  if (requestId === undefined && trace === undefined) return noOrigin;
  return {
    ...(requestId === undefined ? {} : { requestId }),
    ...(trace === undefined ? {} : { trace }),
  };
}
