import { eventually } from '@canopy/async-testing';
import { startGatewayHarness } from './testing/gateway-harness.js';
import type { GatewayHarness } from './testing/gateway-harness.js';

let harness: GatewayHarness;

beforeAll(async () => {
  harness = await startGatewayHarness('gateway_stop');
});

afterAll(async () => {
  await harness?.stop();
});

test('stopping answers the requests waiting for a result instead of holding them', async () => {
  const account = await harness.createAccount();
  const token = await harness.tokenFor(account);
  const taskId = '6405942c9956fae80d7e0e91';
  await harness.db
    .insertInto('api.tasks')
    .values({
      task_id: taskId,
      account_id: account.accountId,
      function_id: '6405848581b16f7a07cd4c48',
      schedule_id: null,
      state: 'pending',
      progress: 5,
      timeout_seconds: 10,
      cpu_count: 0,
      mem_size: 0,
      network_latency: 0,
      privileged: false,
      issued_at: new Date(),
      last_stream_version: 1,
    })
    .execute();
  // Longer than the test's timeout: only the stop can end it in time.
  const waiting = harness.request(`/v1/task/${taskId}/result?wait=60`, { token });
  await eventually(async () => expect(harness.gateway.waitingForResults()).toBe(1));

  await harness.gateway.stop();

  const response = await waiting;
  expect(response.status).toBe(202);
  expect(await response.json()).toEqual({ progress: 5, status: 0 });
  await expect(fetch(`${harness.gateway.url}/v1/task/list`)).rejects.toThrow();
});
