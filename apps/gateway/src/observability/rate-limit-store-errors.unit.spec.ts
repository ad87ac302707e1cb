import { recordingLogger } from '@canopy/service-runtime/testing';
import { Registry } from 'prom-client';
import { RateLimitStoreErrors } from './rate-limit-store-errors.js';

test('every failed count is counted; a warning at most every 10 s, with the counts since the last', async () => {
  const registry = new Registry();
  const { logger, lines } = recordingLogger({ level: 'warn' });
  let now = 1_000_000;
  const errors = new RateLimitStoreErrors(registry, logger, () => now);

  errors.report(new Error('connect ECONNREFUSED'));
  now += 5_000;
  errors.report(new Error('connect ECONNREFUSED'));
  errors.report(new Error('connect ECONNREFUSED'));
  now += 5_000;
  errors.report(new Error('Query read timeout'));

  await new Promise((resolve) => setImmediate(resolve));
  expect(
    lines.map((line) => [line['countedInMemory'], (line['err'] as { message: string }).message]),
  ).toEqual([
    [1, 'connect ECONNREFUSED'],
    [3, 'Query read timeout'],
  ]);
  const metric = await registry.getSingleMetricAsString('canopy_rate_limit_store_errors_total');
  expect(metric).toMatch(/^canopy_rate_limit_store_errors_total 4$/m);
});
