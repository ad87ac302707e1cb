import { MAX_TASK_PRIORITY, MIN_TASK_PRIORITY } from '@canopy/contracts';
import type { IncomingHttpHeaders } from 'node:http';
import { invalidParameter } from '../http/api-error.js';

// POST /v1/task/:functionId takes a task's own priority and delay in headers, not in the query
// string: the contract passes the query string to the function as it came, so a parameter of ours
// there would be ambiguous with the function's own (apps/gateway/README.md, "Priority and delay").

export const PRIORITY_HEADER = 'Canopy-Priority';
export const NOT_BEFORE_HEADER = 'Canopy-Not-Before';
/** The furthest ahead a task may be delayed. */
export const MAX_DELAY_SECONDS = 30 * 86_400;
/** How far in the past a Canopy-Not-Before may be (a client's clock behind ours): it means now. */
export const PAST_NOT_BEFORE_TOLERANCE_SECONDS = 3_600;

export interface TaskIssueOptions {
  /** 0..9; absent: the function's priority. */
  readonly priority?: number;
  /** ISO 8601 UTC; absent: at once. */
  readonly notBefore?: string;
}

/** The task's priority and delay from the request's headers; a 400 naming the header when invalid. */
export function parseTaskIssueHeaders(headers: IncomingHttpHeaders, now: Date): TaskIssueOptions {
  const priority = singleHeader(headers, PRIORITY_HEADER);
  const notBefore = singleHeader(headers, NOT_BEFORE_HEADER);
  return {
    ...(priority === undefined ? {} : { priority: parsePriority(priority) }),
    ...(notBefore === undefined ? {} : { notBefore: parseNotBefore(notBefore, now) }),
  };
}

function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  if (value === undefined) return undefined;
  // Node joins repeated headers with ", "; an array comes only for a few well-known ones.
  if (typeof value !== 'string' || value.includes(','))
    throw invalidParameter(name, 'must be given once');
  const trimmed = value.trim();
  if (trimmed === '') throw invalidParameter(name, 'must not be empty');
  return trimmed;
}

function parsePriority(value: string): number {
  if (!/^\d$/.test(value)) {
    throw invalidParameter(
      PRIORITY_HEADER,
      `must be an integer from ${MIN_TASK_PRIORITY} to ${MAX_TASK_PRIORITY} (${MAX_TASK_PRIORITY} first)`,
    );
  }
  return Number(value);
}

function parseNotBefore(value: string, now: Date): string {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  if (!/^\d{1,16}$/.test(value)) {
    throw invalidParameter(NOT_BEFORE_HEADER, 'must be a time in unix seconds, e.g. 1767225600');
  }
  const seconds = Number(value);
  if (seconds > nowSeconds + MAX_DELAY_SECONDS) {
    throw invalidParameter(
      NOT_BEFORE_HEADER,
      `must be at most ${MAX_DELAY_SECONDS / 86_400} days ahead (unix seconds, not milliseconds)`,
    );
  }
  if (seconds < nowSeconds - PAST_NOT_BEFORE_TOLERANCE_SECONDS) {
    throw invalidParameter(
      NOT_BEFORE_HEADER,
      `must not be more than ${PAST_NOT_BEFORE_TOLERANCE_SECONDS} seconds in the past`,
    );
  }
  return new Date(seconds * 1000).toISOString();
}
