import { ContractViolationError, parseScheduleEvent, scheduleStreamId } from '@canopy/contracts';
import type { ScheduleEvent } from '@canopy/contracts';
import type { EventStore } from '@canopy/event-store';
import { newObjectId } from '@canopy/identity';
import {
  countSchedules,
  encodeKeysetCursor,
  findSchedule,
  listSchedules,
} from '@canopy/read-models';
import type { KeysetKey, ReadModelDatabase, ScheduleDetail } from '@canopy/read-models';
import { initialState } from '@canopy/schedule-domain';
import type { Schedule, ScheduleState } from '@canopy/schedule-domain';
import type { Kysely } from 'kysely';
import type { Aggregates } from '../events/aggregates.js';
import type { FunctionCatalog } from '../functions/function-catalog.js';
import { ApiError } from '../http/api-error.js';
import { scheduleChanges } from './schedule-api-schemas.js';
import type { NewSchedule, ScheduleChangesBody } from './schedule-api-schemas.js';
import { scheduleJson } from './schedule-json.js';
import type { ScheduleJson } from './schedule-json.js';

// Schedules of one account, each in its own stream (`schedule-<id>`). A schedule's state is the read
// model's row, brought up to date with the events of its stream after the row's version: the stream
// grows by one event per fired tick, and is never read whole when the row is there.

/** Live schedules an account may have; creating one more is a 409 SCHEDULE_LIMIT_REACHED. */
export const MAX_SCHEDULES_PER_ACCOUNT = 100;

export class ScheduleCatalog {
  constructor(
    private readonly db: Kysely<ReadModelDatabase>,
    private readonly store: EventStore,
    private readonly schedules: Aggregates['schedules'],
    private readonly functions: FunctionCatalog,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Creates the schedule a POST /v1/schedule body describes; its id. `as` names it and its creation
   * time (an Idempotency-Key's reservation).
   */
  async create(
    accountId: string,
    fields: NewSchedule,
    as?: { readonly id: string; readonly at: Date; readonly repeated: boolean },
  ): Promise<string> {
    // A repeat of a creation that went through (its answer lost) must not now fail on the limit.
    if (as?.repeated === true && (await this.createdIn(accountId, as.id))) return as.id;
    await this.functions.get(accountId, fields.functionId).catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 404) {
        throw new ApiError(404, 'FUNCTION_NOT_FOUND', `no function ${fields.functionId}`, {
          field: 'functionId',
        });
      }
      throw error;
    });
    // Counted on the read model: a burst of creations may pass the limit by what it has not shown yet.
    if ((await countSchedules(this.db, accountId)) >= MAX_SCHEDULES_PER_ACCOUNT) {
      throw new ApiError(
        409,
        'SCHEDULE_LIMIT_REACHED',
        `an account may have at most ${MAX_SCHEDULES_PER_ACCOUNT} schedules; delete one first`,
      );
    }
    const now = as?.at ?? this.now();
    const scheduleId = as?.id ?? newObjectId(now);
    await this.schedules
      .handle(scheduleStreamId(scheduleId), {
        type: 'CreateSchedule',
        data: { scheduleId, accountId, ...fields, now: now.toISOString() },
      })
      .catch((error: unknown) => {
        throw inApiTerms(error);
      });
    return scheduleId;
  }

  async get(accountId: string, scheduleId: string): Promise<ScheduleJson> {
    const state = await this.current(accountId, scheduleId);
    return scheduleJson(liveSchedule(state, accountId, scheduleId), this.now());
  }

  async list(
    accountId: string,
    page: { readonly limit: number; readonly after: KeysetKey | null },
  ): Promise<{ readonly entries: ScheduleJson[]; readonly nextCursor: string | null }> {
    const { items, next } = await listSchedules(this.db, accountId, page);
    const now = this.now();
    return {
      entries: items.map((detail) => scheduleJson(scheduleOfRow(accountId, detail), now)),
      nextCursor: next === null ? null : encodeKeysetCursor(next),
    };
  }

  /** Applies a PATCH body: pause, resume, or change; the schedule as it is afterwards. */
  async change(
    accountId: string,
    scheduleId: string,
    body: ScheduleChangesBody,
  ): Promise<ScheduleJson> {
    const { after } = await this.schedules
      .handle(
        scheduleStreamId(scheduleId),
        (current) => {
          const schedule = liveSchedule(current, accountId, scheduleId);
          return {
            type: 'ChangeSchedule',
            data: {
              scheduleId,
              accountId,
              changes: scheduleChanges(body, schedule.definition.request),
              now: this.now().toISOString(),
            },
          };
        },
        { known: await this.known(accountId, scheduleId) },
      )
      .catch((error: unknown) => {
        throw inApiTerms(error);
      });
    return scheduleJson(liveSchedule(after, accountId, scheduleId), this.now());
  }

  async delete(accountId: string, scheduleId: string): Promise<void> {
    await this.schedules.handle(
      scheduleStreamId(scheduleId),
      (current) => {
        liveSchedule(current, accountId, scheduleId);
        return {
          type: 'DeleteSchedule',
          data: { scheduleId, accountId, now: this.now().toISOString() },
        };
      },
      { known: await this.known(accountId, scheduleId) },
    );
  }

  /** Whether the schedule was created in the account (deleted since or not). */
  private async createdIn(accountId: string, scheduleId: string): Promise<boolean> {
    const [first] = await this.store.readStream(scheduleStreamId(scheduleId), { maxCount: 1 });
    const created = first === undefined ? undefined : parseStored(scheduleId, first);
    return created?.type === 'ScheduleCreated' && created.data.accountId === accountId;
  }

  /** The schedule as it stands: the read model's row completed with the events after it. */
  private async current(accountId: string, scheduleId: string): Promise<ScheduleState> {
    const { state } = await this.schedules.current(scheduleStreamId(scheduleId), {
      known: await this.known(accountId, scheduleId),
    });
    return state;
  }

  /**
   * The schedule as the read model's row shows it, with the row's stream version (the handler reads
   * only the events after it), or the empty state for a schedule not projected yet. A schedule that
   * is deleted or not the caller's is a 404 before its stream is read.
   */
  private async known(
    accountId: string,
    scheduleId: string,
  ): Promise<{ readonly state: ScheduleState; readonly version: number }> {
    const row = await findSchedule(this.db, accountId, scheduleId);
    if (row?.deleted === true) throw scheduleNotFound(scheduleId);
    if (row !== undefined) {
      return {
        state: { phase: 'Active', schedule: scheduleOfRow(accountId, row) },
        version: row.streamVersion,
      };
    }
    // Not projected yet, or not the caller's: its first event tells, before a long stream is read.
    const [first] = await this.store.readStream(scheduleStreamId(scheduleId), { maxCount: 1 });
    const created = first === undefined ? undefined : parseStored(scheduleId, first);
    if (created?.type !== 'ScheduleCreated' || created.data.accountId !== accountId) {
      throw scheduleNotFound(scheduleId);
    }
    return { state: initialState(), version: 0 };
  }
}

/** The schedule when it exists in the account and is not deleted; a 404 otherwise. */
function liveSchedule(state: ScheduleState, accountId: string, scheduleId: string): Schedule {
  if (state.phase === 'Active' && state.schedule.accountId === accountId) return state.schedule;
  throw scheduleNotFound(scheduleId);
}

function scheduleNotFound(scheduleId: string): ApiError {
  return new ApiError(404, 'SCHEDULE_NOT_FOUND', `no schedule ${scheduleId}`);
}

/**
 * The decider names a definition's fields as the event stores them; the API has the request's fields
 * at the top of its body: `request.body` is the body's `body`.
 */
function inApiTerms(error: unknown): unknown {
  if (!(error instanceof ContractViolationError) || !error.field.startsWith('request.'))
    return error;
  return new ContractViolationError(
    error.contract,
    error.field.slice('request.'.length),
    error.problem,
  );
}

function parseStored(
  scheduleId: string,
  event: { type: string; data: unknown; metadata: unknown },
): ScheduleEvent {
  try {
    return parseScheduleEvent({ type: event.type, data: event.data, metadata: event.metadata });
  } catch (error) {
    // A stored event we cannot read is our defect, not the caller's bad request.
    const problem = error instanceof Error ? error.message : String(error);
    throw new Error(`schedule ${scheduleId} holds an unreadable event: ${problem}`);
  }
}

/** A live schedule's row as the decider's state (the row holds all of it). */
function scheduleOfRow(accountId: string, row: ScheduleDetail): Schedule {
  return {
    scheduleId: row.scheduleId,
    accountId,
    functionId: row.functionId,
    definition: {
      name: row.name,
      description: row.description,
      cron: row.cron,
      timeZone: row.timeZone,
      request: {
        query: row.query,
        contentType: row.contentType,
        body: row.body.toString('base64'),
      },
      startAt: row.startAt?.toISOString() ?? null,
      endAt: row.endAt?.toISOString() ?? null,
    },
    paused: row.paused,
    since: row.activeSince.toISOString(),
    lastTick: row.lastTickAt?.toISOString() ?? null,
    lastTaskId: row.lastTaskId,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
