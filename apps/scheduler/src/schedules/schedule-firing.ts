import { ContractViolationError, parseScheduleEvent, scheduleStreamId } from '@canopy/contracts';
import type { IssueTaskReply, IssueTaskRequest, ScheduleEvent } from '@canopy/contracts';
import { CommandHandler, RecentStreamStates, asContractEvent } from '@canopy/event-store';
import type { EventStore, RecordedEvent } from '@canopy/event-store';
import {
  ScheduleRuleViolation,
  evolve,
  initialState,
  planTick,
  scheduleAggregate,
  scheduleDecider,
  scheduleTickCorrelationId,
  scheduledTaskId,
  tickRuleOf,
} from '@canopy/schedule-domain';
import type { FireTick, ScheduleCommand, ScheduleState, TickPlan } from '@canopy/schedule-domain';
import type { MessageOrigin } from '@canopy/observability';
import type { ServiceLogger } from '@canopy/service-runtime';
import type { InFlightWork } from '../transport/in-flight-work.js';
import { rpcFailureOf } from '../transport/rpc-errors.js';
import { StreamFollower } from '../transport/stream-follower.js';

export interface ScheduleFiringOptions {
  readonly store: EventStore;
  /**
   * The IssueTask request handler, the one the gateway's requests reach; it throws its refusals.
   * `origin` names the tick, where a gateway's request names itself.
   */
  readonly issue: (payload: Uint8Array, origin: MessageOrigin) => Promise<IssueTaskReply>;
  readonly work: InFlightWork;
  readonly clock: () => Date;
  readonly logger: ServiceLogger;
  /** A tick more overdue than this counts as missed: of missed ticks only the latest is fired. */
  readonly missedTickGraceMs: number;
  /** Wait before trying a tick again when the event store or the issuing was unavailable. */
  readonly retryMs: number;
  /** Only the leader fires ticks; the others keep following the schedules, to take over warm. */
  readonly isLeader: () => boolean;
}

/** The timer and firing of one schedule; its state is in `states`, by stream. */
interface TrackedSchedule {
  timer: NodeJS.Timeout | undefined;
  firing: boolean;
  /** A tick given up on (its task could not be issued): planning continues after it. */
  skippedThrough: string | null;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Fires every schedule's ticks. The schedules are read from the event store (every `schedule-`
 * event from the beginning, then live, which is also how other processes' changes arrive), and each
 * has a timer for its next tick. A due tick issues its task through the IssueTask request handler,
 * with `scheduleId` set and the task id derived from the schedule and the tick, then records
 * ScheduleTicked through the schedule decider. Any number of schedulers may fire the same tick: they
 * name the same task, whose stream takes one TaskIssued, and only one ScheduleTicked is appended at
 * that version; the others see the conflict, catch up and find the tick fired.
 */
export class ScheduleFiring {
  private readonly schedules = new Map<string, TrackedSchedule>();
  /** Every schedule's state, fed by the subscription and by this process's own decisions. */
  private readonly states = new RecentStreamStates<ScheduleState>(Number.POSITIVE_INFINITY);
  private readonly commands: CommandHandler<ScheduleCommand, ScheduleEvent, ScheduleState>;
  private readonly stopping = new AbortController();
  private readonly encoder = new TextEncoder();
  private readonly follower: StreamFollower;
  /** Schedules whose events the current batch changed: their timers are set after it. */
  private readonly touched = new Set<string>();

  constructor(private readonly options: ScheduleFiringOptions) {
    this.commands = new CommandHandler({
      store: options.store,
      ...scheduleAggregate,
      cache: this.states,
    });
    this.follower = new StreamFollower({
      store: options.store,
      streamPrefix: 'schedule-',
      kind: 'schedule',
      logger: options.logger,
      apply: (recorded) => {
        const scheduleId = this.apply(recorded);
        if (scheduleId !== undefined) this.touched.add(scheduleId);
      },
      afterBatch: () => {
        for (const scheduleId of this.touched) this.arm(scheduleId);
        this.touched.clear();
      },
      retryMs: options.retryMs,
    });
  }

  start(): void {
    this.follower.start();
  }

  /** Plans every schedule's next tick again, for example once this process leads. */
  armAll(): void {
    for (const scheduleId of this.schedules.keys()) this.arm(scheduleId);
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.follower.stop();
    for (const tracked of this.schedules.values()) clearTimeout(tracked.timer);
  }

  /** Folds a recorded event into its schedule; the schedule's id, or undefined when skipped. */
  private apply(recorded: RecordedEvent): string | undefined {
    const scheduleId = recorded.streamId.slice('schedule-'.length);
    this.tracked(scheduleId);
    const known = this.stateOf(scheduleId);
    // This process's own decisions were folded already.
    if (recorded.streamVersion <= known.version) return undefined;
    let { state } = known;
    try {
      state = evolve(state, parseScheduleEvent(asContractEvent(recorded)));
    } catch (error) {
      const problem = error instanceof ContractViolationError ? error.message : String(error);
      this.options.logger.error(
        { streamId: recorded.streamId, version: recorded.streamVersion, problem },
        'skipped an unreadable schedule event',
      );
    }
    this.states.set(recorded.streamId, { state, version: recorded.streamVersion });
    return scheduleId;
  }

  private stateOf(scheduleId: string): { state: ScheduleState; version: number } {
    return this.states.get(scheduleStreamId(scheduleId)) ?? { state: initialState(), version: 0 };
  }

  private tracked(scheduleId: string): TrackedSchedule {
    let tracked = this.schedules.get(scheduleId);
    if (tracked === undefined) {
      tracked = {
        timer: undefined,
        firing: false,
        skippedThrough: null,
      };
      this.schedules.set(scheduleId, tracked);
    }
    return tracked;
  }

  /** Sets the schedule's timer for what it needs next: a tick now, later, or nothing. */
  private arm(scheduleId: string, notBeforeMs = 0): void {
    const tracked = this.schedules.get(scheduleId);
    if (tracked === undefined || this.stopping.signal.aborted) return;
    clearTimeout(tracked.timer);
    tracked.timer = undefined;
    // A firing in progress arms the schedule again when it ends.
    if (tracked.firing) return;
    const { state } = this.stateOf(scheduleId);
    // Deleted (for good) or paused: no timer until an event changes that.
    if (state.phase !== 'Active' || state.schedule.paused) return;
    const nowMs = this.options.clock().getTime();
    const { schedule } = state;
    const lastTick = latest(schedule.lastTick, tracked.skippedThrough);
    let plan: TickPlan;
    try {
      plan = planTick(
        tickRuleOf(schedule.definition),
        { since: schedule.since, lastTick },
        nowMs,
        this.options.missedTickGraceMs,
      );
    } catch (error) {
      this.options.logger.error(
        { scheduleId, reason: String(error) },
        'the schedule cannot be evaluated; it does not fire',
      );
      return;
    }
    const waitMs =
      plan.kind === 'wait'
        ? plan.until.getTime() - nowMs
        : plan.kind === 'fire'
          ? notBeforeMs - nowMs
          : undefined;
    if (waitMs === undefined) return;
    if (plan.kind === 'fire' && waitMs <= 0 && !this.options.isLeader()) {
      // Not the leader: the tick is the leader's to fire; look again when that may have changed.
      tracked.timer = setTimeout(() => this.arm(scheduleId, notBeforeMs), this.options.retryMs);
      return;
    }
    if (plan.kind === 'fire' && waitMs <= 0) {
      const tick = plan.tick.toISOString();
      tracked.firing = true;
      this.options.work.start(async () => {
        let retryAtMs = 0;
        try {
          retryAtMs = await this.fire(scheduleId, tracked, tick);
        } finally {
          tracked.firing = false;
          this.arm(scheduleId, retryAtMs);
        }
      });
      return;
    }
    tracked.timer = setTimeout(
      () => this.arm(scheduleId, notBeforeMs),
      Math.min(waitMs, MAX_TIMER_MS),
    );
  }

  /**
   * Fires one tick: issues its task, then records it. Returns 0 when done with the tick (fired, found
   * fired, or given up on), or the time to try it again.
   */
  private async fire(scheduleId: string, tracked: TrackedSchedule, tick: string): Promise<number> {
    const { logger, clock } = this.options;
    const taskId = scheduledTaskId(scheduleId, tick);
    const context = { scheduleId, tick, taskId };
    const streamId = scheduleStreamId(scheduleId);
    try {
      const { state } = await this.commands.current(streamId);
      if (!this.mayFire(state, this.fireTick(scheduleId, tick, taskId), tracked)) return 0;
      const { schedule } = state as Extract<ScheduleState, { phase: 'Active' }>;
      const request: IssueTaskRequest = {
        taskId,
        accountId: schedule.accountId,
        functionId: schedule.functionId,
        scheduleId,
        request: { ...schedule.definition.request },
        issuedAt: clock().toISOString(),
      };
      const origin = { requestId: scheduleTickCorrelationId(scheduleId, tick) };
      const refusal = await this.options
        .issue(this.encoder.encode(JSON.stringify(request)), origin)
        .then(
          () => undefined,
          (error: unknown) => rpcFailureOf(error),
        );
      if (refusal !== undefined) {
        const { code, message } = refusal.error;
        if (refusal.retry) {
          logger.warn({ ...context, code }, 'the task of a tick could not be issued; trying again');
          return clock().getTime() + this.options.retryMs;
        }
        // Another scheduler issued this tick's task first (its request differs in issue time only).
        if (code !== 'TASK_ALREADY_ISSUED') {
          logger.warn(
            { ...context, functionId: schedule.functionId, code, reason: message },
            'the task of a tick was refused; the tick is skipped',
          );
          tracked.skippedThrough = tick;
          return 0;
        }
      }
      try {
        const decision = await this.commands.handle(streamId, () =>
          this.fireTick(scheduleId, tick, taskId),
        );
        if (decision.events.length > 0) logger.info(context, 'schedule tick fired');
      } catch (error) {
        // Paused, deleted or changed since the tick was planned: the next arm plans afresh.
        if (!(error instanceof ScheduleRuleViolation)) throw error;
        this.notFired(scheduleId, tick, error, tracked);
      }
      return 0;
    } catch (error) {
      logger.warn({ ...context, reason: String(error) }, 'firing a tick failed; trying again');
      return clock().getTime() + this.options.retryMs;
    }
  }

  private fireTick(scheduleId: string, tick: string, taskId: string): FireTick {
    return {
      type: 'FireTick',
      data: { scheduleId, tick, taskId, now: this.options.clock().toISOString() },
    };
  }

  /** Whether the tick may fire on the schedule as it stands (a repeat of a fired tick may not). */
  private mayFire(state: ScheduleState, command: FireTick, tracked: TrackedSchedule): boolean {
    try {
      return scheduleDecider.decide(command, state).length > 0;
    } catch (error) {
      if (!(error instanceof ScheduleRuleViolation)) throw error;
      this.notFired(command.data.scheduleId, command.data.tick, error, tracked);
      return false;
    }
  }

  private notFired(
    scheduleId: string,
    tick: string,
    violation: ScheduleRuleViolation,
    tracked: TrackedSchedule,
  ): void {
    this.options.logger.debug({ scheduleId, tick, code: violation.code }, 'tick not fired');
    if (violation.code === 'TICK_NOT_FIREABLE') tracked.skippedThrough = tick;
  }
}

function latest(left: string | null, right: string | null): string | null {
  if (left === null) return right;
  if (right === null) return left;
  return Date.parse(left) >= Date.parse(right) ? left : right;
}
