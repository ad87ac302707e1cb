import { ContractViolationError } from '@canopy/contracts';
import { pino } from 'pino';
import type { NodeLogger } from './node-logger.js';
import { withFields } from './node-logger.js';
import type { CanopyNodeOptions } from './node-options.js';
import { resolveNodeOptions } from './node-options.js';
import { defaultRetryPolicy } from './retry-policy.js';

const logger: NodeLogger = pino({ level: 'silent' });
const valid: CanopyNodeOptions = {
  servers: 'nats://127.0.0.1:4222',
  nodeId: 'n-1',
  capabilities: { cpuCount: 2, memSize: 1024, networkLatency: 5, privileged: false },
  slots: 2,
  agent: 'test-node/1.0',
  logger,
};

describe('node options', () => {
  test('fill in defaults', () => {
    const resolved = resolveNodeOptions(valid);
    expect(resolved).toMatchObject({
      target: { kind: 'servers', servers: ['nats://127.0.0.1:4222'] },
      nodeId: 'n-1',
      slots: 2,
      connectionOptions: {},
      retry: defaultRetryPolicy,
      logger,
    });
  });

  test.each([
    [{ nodeId: 'n.1' }, 'nodeId'],
    [{ slots: 0 }, 'slots'],
    [{ agent: '' }, 'agent'],
    [
      { capabilities: { cpuCount: -1, memSize: 0, networkLatency: 0, privileged: false } },
      'capabilities.cpuCount',
    ],
  ])('refuse %j, naming the field', (override, field) => {
    let thrown: unknown;
    try {
      resolveNodeOptions({ ...valid, ...override });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ContractViolationError);
    expect((thrown as ContractViolationError).field).toBe(field);
  });

  test('take credentials as the text of a .creds file, only with servers', () => {
    const creds =
      '-----BEGIN NATS USER JWT-----\na.b.c\n------END NATS USER JWT------\n\n' +
      '-----BEGIN USER NKEY SEED-----\nSUAB\n------END USER NKEY SEED------\n';
    expect(resolveNodeOptions({ ...valid, credentials: creds }).credentials).toBe(creds);
    expect(resolveNodeOptions(valid).credentials).toBeUndefined();
    expect(() => resolveNodeOptions({ ...valid, credentials: 'secret' })).toThrow(
      'credentials must be the text of a NATS .creds file',
    );
  });

  test('need exactly one of servers and connection', () => {
    const { servers: _servers, ...withoutServers } = valid;
    expect(() => resolveNodeOptions(withoutServers)).toThrow(
      'give exactly one of servers and connection',
    );
    expect(() => resolveNodeOptions({ ...valid, servers: [] })).toThrow(
      'servers must not be empty',
    );
  });

  test('refuse a bad retry policy', () => {
    expect(() => resolveNodeOptions({ ...valid, retry: { jitter: 2 } })).toThrow(RangeError);
  });
});

describe('node logger', () => {
  test('bound fields are added to every line, and a line may override them', () => {
    const lines: object[] = [];
    const record = (fields: object): void => {
      lines.push(fields);
    };
    const bound = withFields(
      { debug: record, info: record, warn: record, error: record },
      { nodeId: 'n1' },
    );
    bound.info({ taskId: 't' }, 'x');
    bound.error({ nodeId: 'other' }, 'y');
    expect(lines).toEqual([{ nodeId: 'n1', taskId: 't' }, { nodeId: 'other' }]);
  });

  test("a pino logger's own child carries the bound fields", () => {
    const lines: string[] = [];
    const logger = pino({ base: null, timestamp: false }, { write: (line) => lines.push(line) });
    const bound = withFields(logger, { nodeId: 'n1' });
    bound.info({ taskId: 't' }, 'x');
    bound.debug({ taskId: 't' }, 'below the level');
    expect(lines.map((line) => JSON.parse(line) as unknown)).toEqual([
      { level: 30, nodeId: 'n1', taskId: 't', msg: 'x' },
    ]);
  });
});
