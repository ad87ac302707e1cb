import { SpanKind, type SpanOptions } from '@opentelemetry/api';

/** The options of the span of a request the scheduler serves on `subject`; made once per subject. */
export function serverSpan(subject: string): SpanOptions {
  return {
    kind: SpanKind.SERVER,
    attributes: { 'messaging.system': 'nats', 'messaging.destination.name': subject },
  };
}
