import { z } from 'zod';
import {
  ConfigurationError,
  commonConfigSchema,
  positiveInt,
  readConfig,
} from './service-config.js';

describe('readConfig', () => {
  const schema = z.object({ PORT: positiveInt().default(3000), NAME: z.string().min(1) });

  test('applies defaults and coerces numbers', () => {
    expect(readConfig(schema, { NAME: 'gateway' })).toEqual({ PORT: 3000, NAME: 'gateway' });
    expect(readConfig(schema, { NAME: 'gateway', PORT: '8080' }).PORT).toBe(8080);
  });

  test('treats an empty variable as unset', () => {
    expect(readConfig(schema, { NAME: 'gateway', PORT: '' }).PORT).toBe(3000);
  });

  test('names every invalid variable at once', () => {
    try {
      readConfig(schema, { PORT: '-1' });
      throw new Error('expected a ConfigurationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      const problems = (error as ConfigurationError).problems.join('\n');
      expect(problems).toMatch(/^PORT: /m);
      expect(problems).toMatch(/^NAME: /m);
    }
  });

  test('ignores variables the schema does not declare', () => {
    expect(readConfig(schema, { NAME: 'x', SECRET: 'y' })).not.toHaveProperty('SECRET');
  });
});

describe('common configuration', () => {
  test('EventStoreDB needs its URL', () => {
    expect(commonConfigSchema.safeParse({ EVENT_STORE: 'eventstoredb' }).success).toBe(false);
    expect(
      commonConfigSchema.safeParse({
        EVENT_STORE: 'eventstoredb',
        EVENTSTORE_URL: 'esdb://localhost:2113?tls=false',
      }).success,
    ).toBe(true);
  });

  test("a service's schema extends it and keeps the rule, named with every other problem", () => {
    const gateway = commonConfigSchema.safeExtend({ PORT: positiveInt().default(3000) });
    try {
      readConfig(gateway, { EVENT_STORE: 'eventstoredb', PORT: '0' });
      throw new Error('expected a ConfigurationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      const problems = (error as ConfigurationError).problems.join('\n');
      expect(problems).toMatch(/^EVENTSTORE_URL: is required when EVENT_STORE=eventstoredb$/m);
      expect(problems).toMatch(/^PORT: /m);
    }
  });

  test('defaults to the local PostgreSQL and NATS', () => {
    const config = commonConfigSchema.parse({});
    expect(config.EVENT_STORE).toBe('postgres');
    expect(config.NATS_URL).toBe('nats://127.0.0.1:4222');
  });
});
