import type {
  FunctionCapabilities,
  FunctionDefinition,
  FunctionRegisteredData,
} from '../function/function-events.js';

// A valid function for tests that need one registered and do not care which.

export const exampleAccountId = '6404b3da46551827c611ffe5';
export const exampleFunctionId = '6405848581b16f7a07cd4c48';

/** What a function asks of a node where a test or benchmark does not care: 1 CPU, 256 MiB, 30 s. */
export const modestCapabilities: FunctionCapabilities = {
  timeout: 30,
  cpuCount: 1,
  memSize: 256,
  networkLatency: 0,
  privileged: false,
};

/** A process function that echoes "hello": what an account would register. */
export const exampleFunctionDefinition: FunctionDefinition = {
  name: 'hello',
  description: 'says hello',
  lang: 'sh',
  type: 'process',
  capabilities: { timeout: 10, cpuCount: 1, memSize: 128, networkLatency: 0, privileged: false },
  runtime: { kind: 'process', command: '/bin/echo', args: ['hello'] },
};

/** {@link exampleFunctionDefinition} registered as {@link exampleFunctionId} of {@link exampleAccountId}. */
export function exampleFunctionRegisteredData(
  overrides: Partial<FunctionRegisteredData> = {},
): FunctionRegisteredData {
  return {
    functionId: exampleFunctionId,
    accountId: exampleAccountId,
    ...exampleFunctionDefinition,
    registeredAt: '2026-11-29T10:00:00Z',
    ...overrides,
  };
}
