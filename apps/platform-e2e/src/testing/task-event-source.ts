import { createParser } from 'eventsource-parser';

/** One event of `GET /v1/task/:taskId/events` as the API shows it. */
export interface TaskHistoryEntry {
  readonly version: number;
  readonly type: string;
  readonly at: string;
  readonly data: Record<string, unknown>;
}

export interface ReceivedStream {
  /** The entries in the order they came; each SSE event's id and name checked against its entry. */
  readonly entries: TaskHistoryEntry[];
  /** True when the gateway ended the stream; false when the reader stopped it. */
  readonly endedByServer: boolean;
}

/**
 * Reads a task's history as Server-Sent Events with fetch, parsed by a spec-compliant SSE parser,
 * until the gateway ends the stream or `stopAfter` says to drop the connection (as a network failure
 * would), `lastEventId` sent as EventSource sends it when it reconnects.
 */
export async function readTaskEventStream(
  url: string,
  options: {
    readonly token: string;
    readonly lastEventId?: number;
    readonly stopAfter?: (entry: TaskHistoryEntry) => boolean;
  },
): Promise<ReceivedStream> {
  const controller = new AbortController();
  const response = await fetch(url, {
    headers: {
      authorization: `Bearer ${options.token}`,
      accept: 'text/event-stream',
      ...(options.lastEventId === undefined
        ? {}
        : { 'last-event-id': String(options.lastEventId) }),
    },
    signal: controller.signal,
  });
  if (response.status !== 200 || response.body === null)
    throw new Error(`the event stream answered ${response.status}: ${await response.text()}`);
  if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream'))
    throw new Error(`the event stream is ${response.headers.get('content-type')}`);
  const entries: TaskHistoryEntry[] = [];
  let stop = false;
  const parser = createParser({
    onEvent: (event) => {
      if (stop) return;
      const entry = JSON.parse(event.data) as TaskHistoryEntry;
      if (event.id !== String(entry.version) || event.event !== entry.type)
        throw new Error(`SSE id ${event.id} / event ${event.event} do not match ${event.data}`);
      entries.push(entry);
      if (options.stopAfter?.(entry) === true) stop = true;
    },
  });
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { entries, endedByServer: true };
    parser.feed(decoder.decode(value, { stream: true }));
    if (stop) {
      controller.abort();
      await reader.cancel().catch(() => undefined);
      return { entries, endedByServer: false };
    }
  }
}
