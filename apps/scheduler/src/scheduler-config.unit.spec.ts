import { ConfigurationError, readConfig } from '@canopy/service-runtime';
import { schedulerConfigSchema } from './scheduler-config.js';

describe('scheduler configuration', () => {
  test('has the documented defaults', () => {
    expect(readConfig(schedulerConfigSchema, {})).toMatchObject({
      SCHEDULER_MAX_ATTEMPTS: 3,
      SCHEDULER_PENDING_DEADLINE_SECONDS: 300,
      SCHEDULER_HEARTBEAT_INTERVAL_MS: 2_000,
      SCHEDULER_HEARTBEAT_TIMEOUT_MS: 6_000,
      SCHEDULER_OFFER_TIMEOUT_MS: 2_000,
      MAX_WAITING_TASKS_PER_ACCOUNT: 10_000,
      SCHEDULER_PRIORITY_AGING_SECONDS: 60,
      SCHEDULER_OWN_COMMITS_READ_DELAY_MS: 20,
      SCHEDULER_ISSUE_HANDOFF_TIMEOUT_MS: 500,
      EVENT_STORE: 'postgres',
    });
  });

  test('reads its variables as positive integers', () => {
    const config = readConfig(schedulerConfigSchema, {
      SCHEDULER_MAX_ATTEMPTS: '5',
      SCHEDULER_OFFER_TIMEOUT_MS: '750',
    });
    expect(config.SCHEDULER_MAX_ATTEMPTS).toBe(5);
    expect(config.SCHEDULER_OFFER_TIMEOUT_MS).toBe(750);
    expect(() => readConfig(schedulerConfigSchema, { SCHEDULER_MAX_ATTEMPTS: '0' })).toThrow(
      ConfigurationError,
    );
  });

  test('reads its own commits back within 0 to 1000 ms', () => {
    const read = (value: string) =>
      readConfig(schedulerConfigSchema, { SCHEDULER_OWN_COMMITS_READ_DELAY_MS: value })
        .SCHEDULER_OWN_COMMITS_READ_DELAY_MS;
    expect(read('0')).toBe(0);
    expect(read('1000')).toBe(1_000);
    expect(() => read('1001')).toThrow(/SCHEDULER_OWN_COMMITS_READ_DELAY_MS/);
    expect(() => read('-1')).toThrow(/SCHEDULER_OWN_COMMITS_READ_DELAY_MS/);
  });

  test('hands issue requests to the leader for up to 10 s, or not at all', () => {
    const read = (value: string) =>
      readConfig(schedulerConfigSchema, { SCHEDULER_ISSUE_HANDOFF_TIMEOUT_MS: value })
        .SCHEDULER_ISSUE_HANDOFF_TIMEOUT_MS;
    expect(read('0')).toBe(0);
    expect(read('10000')).toBe(10_000);
    expect(() => read('10001')).toThrow(/SCHEDULER_ISSUE_HANDOFF_TIMEOUT_MS/);
    expect(() => read('-1')).toThrow(/SCHEDULER_ISSUE_HANDOFF_TIMEOUT_MS/);
  });

  test('the heartbeat timeout must exceed the interval', () => {
    expect(() =>
      readConfig(schedulerConfigSchema, {
        SCHEDULER_HEARTBEAT_INTERVAL_MS: '5000',
        SCHEDULER_HEARTBEAT_TIMEOUT_MS: '5000',
      }),
    ).toThrow(/SCHEDULER_HEARTBEAT_TIMEOUT_MS/);
  });

  test('EventStoreDB needs its URL', () => {
    expect(() => readConfig(schedulerConfigSchema, { EVENT_STORE: 'eventstoredb' })).toThrow(
      /EVENTSTORE_URL/,
    );
  });
});
