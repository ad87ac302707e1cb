import { ContractViolationError } from '@canopy/contracts';
import { EventStoreUnavailableError, ExpectedVersionConflictError } from '@canopy/event-store';
import { TaskRuleViolation } from '@canopy/task-domain';
import { FunctionNotFoundError, rpcFailureOf } from './rpc-errors.js';

describe('the RPC edge', () => {
  test('an invalid request names its field and is final', () => {
    expect(
      rpcFailureOf(new ContractViolationError('heartbeat', 'freeSlots', 'must be at least 0')),
    ).toEqual({
      error: {
        code: 'CONTRACT_VIOLATION',
        message: 'Invalid heartbeat: freeSlots must be at least 0',
        field: 'freeSlots',
      },
      retry: false,
      expected: true,
    });
    expect(
      rpcFailureOf(new ContractViolationError('x', '', 'must be JSON')).error,
    ).not.toHaveProperty('field');
  });

  test('a broken task rule keeps its code and is final', () => {
    const failure = rpcFailureOf(
      new TaskRuleViolation('NOT_CURRENT_ATTEMPT', 'a'.repeat(24), 'no'),
    );
    expect(failure).toMatchObject({ error: { code: 'NOT_CURRENT_ATTEMPT' }, retry: false });
  });

  test('a missing function is FUNCTION_NOT_FOUND', () => {
    expect(rpcFailureOf(new FunctionNotFoundError('f'.repeat(24))).error.code).toBe(
      'FUNCTION_NOT_FOUND',
    );
  });

  test('an unavailable or contended event store is UNAVAILABLE and worth retrying', () => {
    expect(rpcFailureOf(new EventStoreUnavailableError('down'))).toMatchObject({
      error: { code: 'UNAVAILABLE' },
      retry: true,
    });
    expect(rpcFailureOf(new ExpectedVersionConflictError('task-x', 1, 2))).toMatchObject({
      error: { code: 'UNAVAILABLE' },
      retry: true,
    });
  });

  test('anything else is INTERNAL, without its message or stack', () => {
    const failure = rpcFailureOf(new Error('secret detail at /srv/app.js:12'));
    expect(failure).toEqual({
      error: { code: 'INTERNAL', message: 'the scheduler failed to handle the request' },
      retry: true,
      expected: false,
    });
  });
});
