import type { CanopyClient } from '@canopy/client';
import { dataOf } from '@canopy/client';
import type { FunctionEntry, NodeEntry, Schedule } from './api-types.js';

// Reads the pages share. Lists here are read whole (the API's largest page, then its `Link` while
// there is one): an account's functions, nodes and schedules are few, unlike its tasks.

const PAGE = '500';

export async function allFunctions(
  client: CanopyClient,
  signal: AbortSignal,
): Promise<FunctionEntry[]> {
  return allPages((cursor) =>
    client.api.GET('/v1/function/list', { params: { query: { limit: PAGE, ...cursor } }, signal }),
  );
}

export async function allNodes(client: CanopyClient, signal: AbortSignal): Promise<NodeEntry[]> {
  return allPages((cursor) =>
    client.api.GET('/v1/node/list', { params: { query: { limit: PAGE, ...cursor } }, signal }),
  );
}

export async function allSchedules(client: CanopyClient, signal: AbortSignal): Promise<Schedule[]> {
  return allPages((cursor) =>
    client.api.GET('/v1/schedule/list', { params: { query: { limit: PAGE, ...cursor } }, signal }),
  );
}

async function allPages<Row>(
  page: (cursor: {
    cursor?: string;
  }) => Promise<{ data?: Row[]; error?: unknown; response: Response }>,
): Promise<Row[]> {
  const rows: Row[] = [];
  let cursor: string | undefined;
  do {
    const answer = await page(cursor === undefined ? {} : { cursor });
    rows.push(...dataOf(answer));
    cursor = nextCursor(answer.response.headers.get('link'));
  } while (cursor !== undefined);
  return rows;
}

/** The cursor of a `Link: <…&cursor=X>; rel="next"` header; undefined on the last page. */
export function nextCursor(link: string | null): string | undefined {
  if (link === null) return undefined;
  const next = /<([^>]*)>\s*;\s*rel="next"/.exec(link)?.[1];
  if (next === undefined) return undefined;
  return new URL(next, 'http://canopy.invalid').searchParams.get('cursor') ?? undefined;
}
