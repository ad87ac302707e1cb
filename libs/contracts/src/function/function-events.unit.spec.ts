import { ContractViolationError } from '../contract-violation.js';
import {
  exampleAccountId,
  exampleFunctionId,
  exampleFunctionRegisteredData,
} from '../testing/index.js';
import { functionEvent, functionStreamId, parseFunctionEvent } from './function-events.js';

const registered = () => functionEvent('FunctionRegistered', exampleFunctionRegisteredData());
const changed = () =>
  functionEvent('FunctionChanged', {
    functionId: exampleFunctionId,
    accountId: exampleAccountId,
    version: 2,
    description: 'says hello, louder',
    capabilities: { timeout: 20, cpuCount: 2, memSize: 256, networkLatency: 0, privileged: false },
    runtime: { kind: 'process', command: '/bin/echo', args: ['HELLO'] },
    changedAt: '2026-11-29T11:00:00Z',
  });
const deleted = () =>
  functionEvent('FunctionDeleted', {
    functionId: exampleFunctionId,
    accountId: exampleAccountId,
    version: 2,
    deletedAt: '2026-11-29T12:00:00Z',
  });

describe('function events', () => {
  test('a valid FunctionRegistered parses back to itself', () => {
    expect(parseFunctionEvent(registered())).toEqual(registered());
  });

  test.each([
    ['FunctionChanged', changed],
    ['FunctionDeleted', deleted],
  ])('a valid %s parses back to itself', (_type, event) => {
    expect(parseFunctionEvent(event())).toEqual(event());
  });

  test.each([
    ['a change to version 1, which only a registration makes', changed, 'version', 1],
    ['a fractional version', changed, 'version', 2.5],
    ['a change without capabilities', changed, 'capabilities', undefined],
    ['a change with a zero timeout', changed, 'capabilities', { timeout: 0 }],
    ['a deletion at version 0', deleted, 'version', 0],
    ['a deletion without a time', deleted, 'deletedAt', undefined],
  ])('%s is rejected naming the field', (_name, event, field, value) => {
    const valid = event();
    const invalid = { ...valid, data: { ...valid.data, [field]: value } };
    try {
      parseFunctionEvent(invalid);
      throw new Error('expected a ContractViolationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ContractViolationError);
      expect((error as ContractViolationError).field).toMatch(new RegExp(`^data\\.${field}`));
    }
  });

  test('a zero timeout is rejected naming the field', () => {
    const event = registered();
    const invalid = {
      ...event,
      data: { ...event.data, capabilities: { ...event.data.capabilities, timeout: 0 } },
    };
    try {
      parseFunctionEvent(invalid);
      throw new Error('expected a ContractViolationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ContractViolationError);
      expect((error as ContractViolationError).field).toBe('data.capabilities.timeout');
    }
  });

  test('an unknown runtime kind is rejected', () => {
    const event = registered();
    expect(() =>
      parseFunctionEvent({ ...event, data: { ...event.data, runtime: { kind: 'wasm' } } }),
    ).toThrow(ContractViolationError);
  });

  test('streams are named after the function', () => {
    expect(functionStreamId('6405848581b16f7a07cd4c48')).toBe('function-6405848581b16f7a07cd4c48');
  });
});
