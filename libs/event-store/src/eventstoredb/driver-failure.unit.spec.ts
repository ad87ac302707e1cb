import {
  AccessDeniedError,
  CancelledError,
  DeadlineExceededError,
  NotLeaderError,
  StreamDeletedError,
  StreamNotFoundError,
  TimeoutError,
  UnavailableError,
  UnknownError,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { EventStoreUnavailableError } from '../port/errors.js';
import { classifyDriverError, mayHaveBeenWritten, storeErrorOf } from './driver-failure.js';

describe('classifyDriverError', () => {
  test('a wrong expected version carries the stream version it found', () => {
    const error = new WrongExpectedVersionError(undefined, {
      streamName: 'task-1',
      expected: 1n,
      current: 4n,
    });
    expect(classifyDriverError(error)).toEqual({
      kind: 'wrong_expected_version',
      actualVersion: 5,
      cause: error,
    });
  });

  test('a wrong expected version on a stream that does not exist found version 0', () => {
    const error = new WrongExpectedVersionError(undefined, {
      streamName: 'task-1',
      expected: 3n,
      current: 'no_stream',
    });
    expect(classifyDriverError(error)).toMatchObject({
      kind: 'wrong_expected_version',
      actualVersion: 0,
    });
  });

  test('a missing stream is recognised as such', () => {
    const error = new StreamNotFoundError(undefined, 'task-1');
    expect(classifyDriverError(error)).toEqual({ kind: 'stream_not_found', cause: error });
  });

  test.each([
    ['unavailable', new UnavailableError()],
    ['deadline exceeded', new DeadlineExceededError()],
    ['timeout', new TimeoutError()],
    ['cancelled by the server', new CancelledError()],
    ['unknown', new UnknownError()],
    ['access denied', new AccessDeniedError()],
    ['stream deleted', StreamDeletedError.fromStreamName('task-1')],
    ['not leader', notLeader()],
  ])('a server failure (%s) makes the store unavailable', (_, error) => {
    expect(classifyDriverError(error)).toEqual({ kind: 'unavailable', cause: error });
  });

  test('a raw gRPC failure is converted by the client first', () => {
    // What @grpc/grpc-js rejects with when no server listens: status 14 (UNAVAILABLE).
    const grpcError = Object.assign(new Error('14 UNAVAILABLE: No connection established'), {
      code: 14,
      details: 'No connection established',
    });
    const failure = classifyDriverError(grpcError);
    expect(failure.kind).toBe('unavailable');
    expect(failure.cause).toBeInstanceOf(UnavailableError);
  });

  test('cluster discovery giving up makes the store unavailable', () => {
    const error = new Error('Failed to discover after 10 attempts.');
    expect(classifyDriverError(error)).toEqual({ kind: 'unavailable', cause: error });
  });

  test('anything else is not the driver’s and passes through', () => {
    const bug = new TypeError('cannot read properties of undefined');
    expect(classifyDriverError(bug)).toEqual({ kind: 'foreign', cause: bug });
    expect(classifyDriverError('a thrown string')).toEqual({
      kind: 'foreign',
      cause: 'a thrown string',
    });
  });
});

describe('storeErrorOf', () => {
  test('turns server failures into EventStoreUnavailableError, keeping the driver error as cause', () => {
    const cause = new DeadlineExceededError(undefined, 'deadline exceeded');
    const error = storeErrorOf(classifyDriverError(cause), 'append to task-1');
    expect(error).toBeInstanceOf(EventStoreUnavailableError);
    expect(error).toMatchObject({
      code: 'EVENT_STORE_UNAVAILABLE',
      message: 'EventStoreDB failed to append to task-1: deadline exceeded',
      cause,
    });
  });

  test('an unexpected wrong expected version or missing stream is a misbehaving store too', () => {
    const conflict = new WrongExpectedVersionError(undefined, {
      streamName: 's',
      expected: 'any',
      current: 1n,
    });
    expect(storeErrorOf(classifyDriverError(conflict), 'x')).toBeInstanceOf(
      EventStoreUnavailableError,
    );
    const missing = new StreamNotFoundError(undefined, 's');
    expect(storeErrorOf(classifyDriverError(missing), 'x')).toBeInstanceOf(
      EventStoreUnavailableError,
    );
  });

  test('returns foreign errors untouched', () => {
    const bug = new RangeError('ours');
    expect(storeErrorOf(classifyDriverError(bug), 'x')).toBe(bug);
  });
});

describe('mayHaveBeenWritten', () => {
  test('a server timeout or a passed deadline leaves the write uncertain', () => {
    expect(mayHaveBeenWritten(classifyDriverError(new TimeoutError()))).toBe(true);
    expect(mayHaveBeenWritten(classifyDriverError(new DeadlineExceededError()))).toBe(true);
  });

  test('an unreachable server or a refusal wrote nothing', () => {
    expect(mayHaveBeenWritten(classifyDriverError(new UnavailableError()))).toBe(false);
    expect(mayHaveBeenWritten(classifyDriverError(new AccessDeniedError()))).toBe(false);
    const conflict = new WrongExpectedVersionError(undefined, {
      streamName: 's',
      expected: 0n,
      current: 1n,
    });
    expect(mayHaveBeenWritten(classifyDriverError(conflict))).toBe(false);
    expect(mayHaveBeenWritten(classifyDriverError(new TypeError('ours')))).toBe(false);
  });
});

/** A follower's refusal, as the client builds it from the gRPC error's metadata. */
function notLeader(): NotLeaderError {
  const metadata = {
    getMap: () => ({ 'leader-endpoint-host': '10.0.0.2', 'leader-endpoint-port': '2113' }),
  };
  const serviceError = Object.assign(new Error('Leader info available'), {
    code: 5,
    details: '',
    metadata,
  });
  return new NotLeaderError(
    serviceError as unknown as ConstructorParameters<typeof NotLeaderError>[0],
  );
}
