import { EventSourceParserStream } from 'eventsource-parser/stream';
import type { paths } from './generated/canopy-api.js';

/** One event of a task's history (`GET /v1/task/:id/events`): its version, type, time and data. */
export type TaskEventEntry =
  paths['/v1/task/{id}/events']['get']['responses']['200']['content']['application/json'][number];

export function endsTask(entry: TaskEventEntry): boolean {
  return entry.type === 'TaskFinished' || entry.type === 'TaskFailed';
}

/**
 * The entries of one Server-Sent Events answer of `GET /v1/task/:id/events`, as they arrive; ends
 * with the stream (the API ends it after the terminal event, or the connection dropped).
 */
export async function* taskEventStream(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<TaskEventEntry> {
  const events = body
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  try {
    for (;;) {
      const { done, value } = await events.read();
      if (done) return;
      yield JSON.parse(value.data) as TaskEventEntry;
    }
  } finally {
    await events.cancel().catch(() => undefined);
  }
}
