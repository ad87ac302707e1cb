import type { CanopyClient } from '@canopy/client';
import { useEffect, useState } from 'react';
import type { TaskHistoryEntry } from '../api/api-types.js';

export interface TaskHistory {
  readonly entries: readonly TaskHistoryEntry[];
  /** The stream is open and events arrive as they are recorded. */
  readonly live: boolean;
  readonly error: unknown;
}

/**
 * A task's history, followed live with the client's `followTaskEvents`: `GET /v1/task/:id/events`
 * as Server-Sent Events (read with fetch, which can send the access token, unlike EventSource), the
 * events recorded so far first, then each new one, until the terminal event; a dropped stream is
 * followed again after the last event received.
 */
export function useTaskHistory(
  client: CanopyClient,
  taskId: string,
  onEntry: (entry: TaskHistoryEntry) => void,
): TaskHistory {
  const [state, setState] = useState<TaskHistory>({ entries: [], live: false, error: undefined });
  useEffect(() => {
    const stop = new AbortController();
    setState({ entries: [], live: true, error: undefined });
    const follow = async () => {
      try {
        for await (const entry of client.followTaskEvents(taskId, { signal: stop.signal })) {
          setState((current) => ({ ...current, entries: [...current.entries, entry] }));
          onEntry(entry);
        }
        setState((current) => ({ ...current, live: false }));
      } catch (error) {
        if (!stop.signal.aborted) setState((current) => ({ ...current, live: false, error }));
      }
    };
    void follow();
    return () => stop.abort();
  }, [client, taskId, onEntry]);
  return state;
}
