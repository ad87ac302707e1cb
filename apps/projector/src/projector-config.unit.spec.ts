import { ConfigurationError, readConfig } from '@canopy/service-runtime';
import { projectorConfigSchema } from './projector-config.js';

describe('the projector configuration', () => {
  test('batches 2000 events by default and logs its lag every 10 s', () => {
    const config = readConfig(projectorConfigSchema, {});
    expect(config.PROJECTOR_BATCH_SIZE).toBe(2000);
    expect(config.PROJECTOR_LAG_LOG_SECONDS).toBe(10);
    expect(config.EVENT_STORE).toBe('postgres');
  });

  test('runs at nice 10 unless told otherwise, within 0..19', () => {
    expect(readConfig(projectorConfigSchema, {}).PROJECTOR_NICE).toBe(10);
    expect(readConfig(projectorConfigSchema, { PROJECTOR_NICE: '0' }).PROJECTOR_NICE).toBe(0);
    for (const nice of ['-5', '20', 'low']) {
      expect(() => readConfig(projectorConfigSchema, { PROJECTOR_NICE: nice })).toThrow(
        ConfigurationError,
      );
    }
  });

  test('reads the batch size', () => {
    expect(
      readConfig(projectorConfigSchema, { PROJECTOR_BATCH_SIZE: '50' }).PROJECTOR_BATCH_SIZE,
    ).toBe(50);
  });

  test.each(['0', '-1', 'many', '100000'])('refuses a batch size of %s', (size) => {
    expect(() => readConfig(projectorConfigSchema, { PROJECTOR_BATCH_SIZE: size })).toThrow(
      ConfigurationError,
    );
  });

  test('needs EVENTSTORE_URL for EventStoreDB', () => {
    expect(() => readConfig(projectorConfigSchema, { EVENT_STORE: 'eventstoredb' })).toThrow(
      /EVENTSTORE_URL/,
    );
  });
});
