import { traceFieldsOf } from '@canopy/observability';
import type { Context } from '@opentelemetry/api';
import type { TaskEventMetadata } from './task-commands.js';

/**
 * What the events of a decision record about where it came from: the request or report that caused
 * it, and, while tracing is on, the span that decided it (which the leading scheduler and the
 * projector continue). Undefined when there is nothing to record.
 */
export function decisionMetadata(
  causationId: string | undefined,
  spanContext: Context | undefined,
): TaskEventMetadata | undefined {
  const trace = traceFieldsOf(spanContext);
  if (causationId === undefined) return trace;
  return { causationId, ...trace };
}
