import { invalidParameter } from './api-error.js';

/** A parsed query string as Fastify gives it: repeated names become arrays. */
export type QueryRecord = Readonly<Record<string, string | readonly string[] | undefined>>;

/** The parameter's value, undefined when absent or empty; a repeated parameter is a 400. */
export function singleParameter(query: QueryRecord, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidParameter(name, 'must be given once');
  return value === '' ? undefined : value;
}

/** An integer in [min, max] written in plain decimal digits. */
export function integerParameter(name: string, value: string, min: number, max: number): number {
  const parsed = /^-?\d{1,10}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
    throw invalidParameter(name, `must be an integer from ${min} to ${max}`);
  }
  return parsed;
}

export function booleanParameter(name: string, value: string): boolean {
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw invalidParameter(name, 'must be true or false');
}

const DAY_MS = 86_400_000;

/** Midnight UTC starting the calendar day `yyyy-mm-dd`; a day that does not exist (2025-24-03) is a 400. */
export function calendarDayParameter(name: string, value: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match !== null) {
    const [year, month, day] = match.slice(1).map(Number) as [number, number, number];
    const start = new Date(Date.UTC(year, month - 1, day));
    const exists =
      start.getUTCFullYear() === year &&
      start.getUTCMonth() === month - 1 &&
      start.getUTCDate() === day;
    if (exists) return start;
  }
  throw invalidParameter(name, 'must be a date yyyy-mm-dd (UTC), e.g. 2024-06-22');
}

/** A half-open range of issue times [from, before): what `since` / `until` style parameters select. */
export interface IssueTimeRange {
  readonly issuedFrom?: Date;
  readonly issuedBefore?: Date;
}

/**
 * Inclusive bounds: `since` from the start of its day or second, `until` to the end of its day or
 * second. `allowUnixSeconds` also accepts unix seconds (digits only) besides yyyy-mm-dd.
 */
export function issueTimeRange(
  since: { readonly name: string; readonly value: string | undefined },
  until: { readonly name: string; readonly value: string | undefined },
  allowUnixSeconds: boolean,
): IssueTimeRange {
  const from =
    since.value === undefined ? undefined : instant(since.name, since.value, allowUnixSeconds);
  const to =
    until.value === undefined ? undefined : instant(until.name, until.value, allowUnixSeconds);
  if (from !== undefined && to !== undefined && from.start > to.start) {
    throw invalidParameter(since.name, `must not be after ${until.name}`);
  }
  return {
    ...(from === undefined ? {} : { issuedFrom: new Date(from.start) }),
    ...(to === undefined ? {} : { issuedBefore: new Date(to.start + to.length) }),
  };
}

function instant(
  name: string,
  value: string,
  allowUnixSeconds: boolean,
): { start: number; length: number } {
  if (allowUnixSeconds && /^\d{1,11}$/.test(value)) {
    return { start: Number(value) * 1000, length: 1000 };
  }
  if (allowUnixSeconds && !/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    throw invalidParameter(name, 'must be a date yyyy-mm-dd (UTC) or unix seconds');
  }
  return { start: calendarDayParameter(name, value).getTime(), length: DAY_MS };
}
