import { ContractViolationError } from '../contract-violation.js';
import { functionEvent, functionStreamId, parseFunctionEvent } from './function-events.js';

const registered = () =>
  functionEvent('FunctionRegistered', {
    functionId: '6405848581b16f7a07cd4c48',
    accountId: '64057f3c9956fae80d7e0e84',
    name: 'hello',
    description: 'says hello',
    lang: 'sh',
    type: 'process',
    capabilities: { timeout: 10, cpuCount: 1, memSize: 128, networkLatency: 0, privileged: false },
    runtime: { kind: 'process', command: '/bin/echo', args: ['hello'] },
    registeredAt: '2026-11-29T10:00:00Z',
  });

describe('function events', () => {
  test('a valid FunctionRegistered parses back to itself', () => {
    expect(parseFunctionEvent(registered())).toEqual(registered());
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
