import {
  InvalidIdempotencyKeyError,
  claimIdempotencyKey,
  completeIdempotencyKey,
  parseIdempotencyKey,
  purgeExpiredIdempotencyKeys,
  requestFingerprint,
} from '@canopy/idempotency';
import type { IdempotencyDatabase } from '@canopy/idempotency';
import { newObjectId } from '@canopy/identity';
import type { ServiceLogger } from '@canopy/service-runtime';
import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { ApiError, invalidParameter } from '../http/api-error.js';
import { bodyBytes } from '../http/request-body.js';

// The Idempotency-Key header on the requests that create something (a task, a batch of tasks, a
// function, a schedule). The first request with a key claims it in PostgreSQL with the id and time
// of what it is about to create; any later request with the same key and the same request creates
// the same thing under the same id (the aggregates take it as a repeat: no second task) or, once that
// is known to be done, answers at once. So concurrent requests with one key, on any gateway, all
// answer the same id, and a client retrying after a lost answer gets the first answer again.

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Set to `true` on an answer to a request whose key had been used before. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

/** The id and time a created resource gets: fresh, or the ones its key's first request chose. */
export interface Reservation {
  readonly id: string;
  readonly at: Date;
  /** An earlier request with the key may have created it already (its answer was not recorded). */
  readonly repeated: boolean;
}

/** The request of a route that creates something, and its reply (which marks a replay). */
export interface CreationExchange {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

/** The route's {@link CreationExchange}, for {@link IdempotentRequests}. */
export const Creation = createParamDecorator(
  (_data: unknown, execution: ExecutionContext): CreationExchange => {
    const http = execution.switchToHttp();
    return { request: http.getRequest<FastifyRequest>(), reply: http.getResponse<FastifyReply>() };
  },
);

/** The answer of a route that created something: the new resource's id. */
export interface Created {
  readonly id: string;
}

/** A request's reservation, to complete once what it creates exists. */
export interface IdempotencyClaim {
  readonly reservation: Reservation;
  /** An earlier request with the key was answered: its resource exists. */
  readonly answered: boolean;
  /** Records the status the request is answered with (nothing to do without a key). */
  complete(status: number): Promise<void>;
}

/** Every how many milliseconds a gateway deletes expired keys. */
const PURGE_INTERVAL_MS = 60_000;

export class IdempotentRequests {
  private purgeTimer: NodeJS.Timeout | undefined;
  private purging: Promise<void> | undefined;

  constructor(
    private readonly db: Kysely<IdempotencyDatabase>,
    private readonly ttlSeconds: number,
    private readonly logger: ServiceLogger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /**
   * Creates a resource once per Idempotency-Key: `create` is given the id and time to create it
   * under (the same on every request with the key) and must be idempotent for them. Answers the id
   * (the body of the route's 201), and marks a replay on the reply. Without the header, `create`
   * simply runs with a new id. 400 for a malformed key, 422 IDEMPOTENCY_KEY_REUSED for a key first
   * used with another request.
   */
  async create(
    accountId: string,
    exchange: CreationExchange,
    create: (reservation: Reservation) => Promise<unknown>,
    status = 201,
  ): Promise<Created> {
    const claim = await this.reserve(accountId, exchange);
    if (!claim.answered) {
      await create(claim.reservation);
      await claim.complete(status);
    }
    return { id: claim.reservation.id };
  }

  /**
   * The id and time the request's resource gets: fresh without an Idempotency-Key, the key's first
   * request's otherwise (`answered` once that one is known to be done). The caller creates it, then
   * completes the claim. Errors as for {@link create}.
   */
  async reserve(
    accountId: string,
    { request, reply }: CreationExchange,
  ): Promise<IdempotencyClaim> {
    const key = idempotencyKeyOf(request);
    const at = this.now();
    if (key === undefined) {
      return {
        reservation: { id: newObjectId(at), at, repeated: false },
        answered: false,
        complete: async () => undefined,
      };
    }
    const fingerprint = fingerprintOf(request);
    const claimed = await claimIdempotencyKey(this.db, {
      accountId,
      key,
      fingerprint,
      resourceId: newObjectId(at),
      resourceAt: at,
      ttlSeconds: this.ttlSeconds,
    }).catch((error: unknown) => {
      this.logger.error({ err: error }, 'an idempotency key could not be claimed');
      throw new ApiError(503, 'UNAVAILABLE', 'the request could not be recorded; try again later', {
        retryAfter: 5,
      });
    });
    if (claimed.fingerprint !== fingerprint) {
      throw new ApiError(
        422,
        'IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key was used with another request; use a new key for a new request',
        { field: 'Idempotency-Key' },
      );
    }
    if (!claimed.first) void reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true');
    const reservation = {
      id: claimed.resourceId,
      at: claimed.resourceAt,
      repeated: !claimed.first,
    };
    return {
      reservation,
      answered: claimed.status !== null,
      complete: (status) =>
        completeIdempotencyKey(this.db, { accountId, key, resourceId: reservation.id, status })
          // Done is done: an unrecorded completion only means a later repeat creates it again, a no-op.
          .catch((error: unknown) =>
            this.logger.warn({ err: error }, 'an idempotency key could not be marked completed'),
          ),
    };
  }

  /** Deletes expired keys now and then, until stopped. */
  startPurging(): void {
    this.purgeTimer = setInterval(() => {
      this.purging ??= purgeExpiredIdempotencyKeys(this.db)
        .then((deleted) => {
          if (deleted > 0) this.logger.info({ deleted }, 'expired idempotency keys deleted');
        })
        .catch((error: unknown) =>
          this.logger.warn({ err: error }, 'expired idempotency keys could not be deleted'),
        )
        .finally(() => {
          this.purging = undefined;
        });
    }, PURGE_INTERVAL_MS);
    this.purgeTimer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.purgeTimer);
    await this.purging;
  }
}

/** The request's Idempotency-Key, if it has one; a 400 for a malformed or repeated header. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const raw = request.raw.rawHeaders;
  const values: string[] = [];
  for (let index = 0; index + 1 < raw.length; index += 2) {
    if ((raw[index] as string).toLowerCase() === IDEMPOTENCY_KEY_HEADER) {
      values.push(raw[index + 1] as string);
    }
  }
  if (values.length === 0) return undefined;
  if (values.length > 1) {
    throw invalidParameter('Idempotency-Key', 'must be sent once');
  }
  try {
    return parseIdempotencyKey(values[0] as string);
  } catch (error) {
    if (error instanceof InvalidIdempotencyKeyError) {
      throw new ApiError(400, 'INVALID_REQUEST', error.message, { field: 'Idempotency-Key' });
    }
    throw error;
  }
}

function fingerprintOf(request: FastifyRequest): string {
  const url = request.raw.url ?? request.url;
  const queryStart = url.indexOf('?');
  const contentType = request.headers['content-type'];
  return requestFingerprint({
    method: request.method,
    path: queryStart < 0 ? url : url.slice(0, queryStart),
    query: queryStart < 0 ? '' : url.slice(queryStart + 1),
    contentType: contentType === undefined || contentType === '' ? null : contentType,
    body: bodyBytes(request.body),
    headers: Object.fromEntries(
      FINGERPRINTED_HEADERS.map((name) => [name, headerText(request.headers[name])]),
    ),
  });
}

/** Headers that change what a request creates: the same key with other values is another request. */
const FINGERPRINTED_HEADERS = ['canopy-priority', 'canopy-not-before'] as const;

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
