import { Cron } from 'croner';

// When a schedule's ticks fall, computed with croner (cron parsing and time-zone arithmetic, DST
// included). Pure: every function takes the times it reasons about; nothing reads the clock.

/** What decides a schedule's ticks. Times are ISO 8601 UTC; null bounds are open. */
export interface TickRule {
  readonly cron: string;
  readonly timeZone: string;
  /** Inclusive: a tick at exactly startAt is fired. */
  readonly startAt: string | null;
  /** Inclusive: a tick at exactly endAt is fired. */
  readonly endAt: string | null;
}

/** Why a cron expression or a zone was refused. */
export class InvalidTickRule extends Error {
  constructor(
    readonly field: 'cron' | 'timeZone',
    message: string,
  ) {
    super(message);
    this.name = 'InvalidTickRule';
  }
}

/**
 * The zone's canonical IANA name (`utc` → `UTC`), or InvalidTickRule. Intl knows every zone the
 * runtime's ICU data has; croner converts times with the same Intl data.
 */
export function canonicalTimeZone(timeZone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone;
  } catch {
    throw new InvalidTickRule(
      'timeZone',
      `timeZone ${JSON.stringify(timeZone)} is not an IANA time zone such as Europe/Berlin or UTC`,
    );
  }
}

/** The cron evaluated in the zone; InvalidTickRule when either is invalid. */
export function cronOf(cron: string, timeZone: string): Cron {
  const zone = canonicalTimeZone(timeZone);
  try {
    // No callback: croner only evaluates the pattern and starts no timer.
    return new Cron(cron, { timezone: zone, mode: '5-or-6-parts' });
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^CronPattern: /, '') : '';
    throw new InvalidTickRule(
      'cron',
      `cron must have 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first): ${reason}`,
    );
  }
}

/** The first tick strictly after `afterMs` within the rule's window, or null when there is none. */
export function nextTickAfter(rule: TickRule, afterMs: number): Date | null {
  const cron = cronOf(rule.cron, rule.timeZone);
  const startMs = rule.startAt === null ? Number.NEGATIVE_INFINITY : Date.parse(rule.startAt);
  // croner looks strictly after its reference, at whole seconds: one millisecond before startAt
  // lets a tick at exactly startAt count.
  const reference = Math.max(afterMs, startMs - 1);
  const next = cron.nextRun(new Date(reference));
  if (next === null) return null;
  if (rule.endAt !== null && next.getTime() > Date.parse(rule.endAt)) return null;
  return next;
}

/** The last tick at or before `atMs` within the rule's window, or null when there is none. */
export function latestTickAtOrBefore(rule: TickRule, atMs: number): Date | null {
  const cron = cronOf(rule.cron, rule.timeZone);
  const endMs = rule.endAt === null ? atMs : Math.min(atMs, Date.parse(rule.endAt));
  // previousRuns looks strictly before its reference.
  const [latest] = cron.previousRuns(1, new Date(endMs + 1));
  if (latest === undefined) return null;
  if (rule.startAt !== null && latest.getTime() < Date.parse(rule.startAt)) return null;
  return latest;
}

/** Whether `atMs` is one of the rule's ticks, inside its window. */
export function isTick(rule: TickRule, atMs: number): boolean {
  return nextTickAfter(rule, atMs - 1)?.getTime() === atMs;
}

/** What to do about a schedule now. */
export type TickPlan =
  | { readonly kind: 'fire'; readonly tick: Date }
  | { readonly kind: 'wait'; readonly until: Date }
  | { readonly kind: 'none' };

export interface TickProgress {
  /** Ticks at or before this time are never fired: the schedule's creation, cron change or resumption. */
  readonly since: string;
  /** The last tick fired (recorded or, for the caller, given up on); null before the first. */
  readonly lastTick: string | null;
}

/**
 * The missed-tick policy. Ticks are fired one after the other, each once it is due and never before.
 * A tick more than `graceMs` overdue counts as missed (no scheduler ran, or it was stalled): of the
 * missed ticks only the latest is fired, once; the older ones are skipped, and the ticks after it,
 * not missed yet, follow in turn. A fired tick keeps its own due time however late it is fired.
 */
export function planTick(
  rule: TickRule,
  progress: TickProgress,
  nowMs: number,
  graceMs: number,
): TickPlan {
  const after = Math.max(
    Date.parse(progress.since),
    progress.lastTick === null ? Number.NEGATIVE_INFINITY : Date.parse(progress.lastTick),
  );
  const first = nextTickAfter(rule, after);
  if (first === null) return { kind: 'none' };
  if (first.getTime() > nowMs) return { kind: 'wait', until: first };
  if (nowMs - first.getTime() <= graceMs) return { kind: 'fire', tick: first };
  // `first` is missed, so the latest missed tick exists and is at or after it.
  const latestMissed = latestTickAtOrBefore(rule, nowMs - graceMs) ?? first;
  return {
    kind: 'fire',
    tick: latestMissed.getTime() > first.getTime() ? latestMissed : first,
  };
}
