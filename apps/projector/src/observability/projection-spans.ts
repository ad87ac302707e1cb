import type { RecordedEvent } from '@canopy/event-store';
import {
  tracer,
  tracingEnabled,
  traceContextOfFields,
  type TraceContextFields,
} from '@canopy/observability';
import { SpanKind } from '@opentelemetry/api';

/**
 * While tracing is on, a span ("project <event type>") for each event of a committed batch whose
 * metadata names a trace: a child of the span that decided the event, from the batch's start to its
 * commit, when the event became readable through the API. Events without a trace get none.
 */
export function traceProjectedBatch(
  events: readonly RecordedEvent[],
  startedAtMs: number,
  committedAtMs: number,
): void {
  if (!tracingEnabled()) return;
  for (const event of events) {
    const parent = traceContextOfFields(event.metadata as TraceContextFields);
    if (parent === undefined) continue;
    tracer()
      .startSpan(
        `project ${event.type}`,
        {
          kind: SpanKind.CONSUMER,
          startTime: startedAtMs,
          attributes: {
            'canopy.event.type': event.type,
            'canopy.stream.id': event.streamId,
            'canopy.stream.version': event.streamVersion,
            'canopy.batch.size': events.length,
          },
        },
        parent,
      )
      .end(committedAtMs);
  }
}
