import type { CanopyClient } from '@canopy/client';
import { CanopyApiError, dataOf } from '@canopy/client';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { useEffect, useState } from 'react';
import type { TaskHistoryEntry } from '../api/api-types.js';

/** How long to wait before following again after the stream dropped. */
const RECONNECT_MS = 1000;

export interface TaskHistory {
  readonly entries: readonly TaskHistoryEntry[];
  /** The stream is open and events arrive as they are recorded. */
  readonly live: boolean;
  readonly error: unknown;
}

/**
 * A task's history, followed live: `GET /v1/task/:id/events` as Server-Sent Events (read with fetch,
 * which can send the access token, unlike EventSource, and parsed by eventsource-parser), the events
 * recorded so far first, then each new one, until the terminal event. A dropped stream is followed
 * again from the version after the last one received, so nothing is missed or repeated.
 */
export function useTaskHistory(
  client: CanopyClient,
  taskId: string,
  onEntry: (entry: TaskHistoryEntry) => void,
): TaskHistory {
  const [state, setState] = useState<TaskHistory>({ entries: [], live: false, error: undefined });
  useEffect(() => {
    const stop = new AbortController();
    setState({ entries: [], live: false, error: undefined });
    const follow = async () => {
      let last = 0;
      while (!stop.signal.aborted) {
        try {
          const answer = await client.api.GET('/v1/task/{id}/events', {
            params: {
              path: { id: taskId },
              query: { follow: 'true', ...(last === 0 ? {} : { from: String(last + 1) }) },
            },
            headers: { accept: 'text/event-stream' },
            parseAs: 'stream',
            signal: stop.signal,
          });
          // 204: the task had ended with the last event received.
          if (answer.response.status === 204) break;
          const stream = dataOf(answer) as unknown as ReadableStream<BufferSource> | null;
          if (stream === null) break;
          setState((current) => ({ ...current, live: true, error: undefined }));
          const events = stream
            .pipeThrough(new TextDecoderStream())
            .pipeThrough(new EventSourceParserStream())
            .getReader();
          for (;;) {
            const { done, value } = await events.read();
            if (done) break;
            const entry = JSON.parse(value.data) as TaskHistoryEntry;
            if (entry.version <= last) continue;
            last = entry.version;
            setState((current) => ({ ...current, entries: [...current.entries, entry] }));
            onEntry(entry);
            if (entry.type === 'TaskFinished' || entry.type === 'TaskFailed') {
              await events.cancel();
              setState((current) => ({ ...current, live: false }));
              return;
            }
          }
        } catch (error) {
          if (stop.signal.aborted) return;
          setState((current) => ({ ...current, live: false, error }));
          // The API's refusals (no such task, a token refused) do not get better by asking again.
          if (error instanceof CanopyApiError) return;
        }
        setState((current) => ({ ...current, live: false }));
        await pause(RECONNECT_MS, stop.signal);
      }
      setState((current) => ({ ...current, live: false }));
    };
    void follow();
    return () => stop.abort();
    // onEntry is the caller's notification; following again for a new callback would repeat events.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, taskId]);
  return state;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = window.setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      window.clearTimeout(timer);
      resolve();
    });
  });
}
