import { startGatewayHarness } from '../testing/gateway-harness.js';
import type { GatewayHarness } from '../testing/gateway-harness.js';

describe('the operator routes on the gateway port', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness('gateway_operations');
  });
  afterAll(() => harness?.stop());

  test('/healthz answers while the process runs, without an access token', async () => {
    const response = await harness.request('/healthz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  test('/readyz answers 200 with the database and NATS up (Terminus)', async () => {
    const response = await harness.request('/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'ok',
      details: { database: { status: 'up' }, nats: { status: 'up' } },
    });
  });

  test('/metrics counts requests by route template and status, never by path', async () => {
    expect((await harness.request('/v1/task/6405848581b16f7a07cd4c48')).status).toBe(401);
    expect((await harness.request('/no/such/route')).status).toBe(404);
    const response = await harness.request('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(
      /canopy_http_request_duration_seconds_count\{method="GET",route="\/v1\/task\/:id",status_code="401"\} 1/,
    );
    expect(text).toMatch(
      /canopy_http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1/,
    );
    expect(text).not.toContain('6405848581b16f7a07cd4c48');
    expect(text).toContain('canopy_service_ready{service="gateway"} 1');
    expect(text).toContain('canopy_nats_connected 1');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

describe('the gateway with an admin port', () => {
  let harness: GatewayHarness;

  beforeAll(async () => {
    harness = await startGatewayHarness('gateway_admin_port', { ADMIN_PORT: '0' });
  });
  afterAll(() => harness?.stop());

  test('serves /metrics there and not on the public port; probes on both', async () => {
    const adminUrl = harness.gateway.adminUrl;
    expect(adminUrl).toBeDefined();
    expect((await harness.request('/metrics')).status).toBe(404);
    const metrics = await fetch(`${adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('canopy_http_request_duration_seconds');
    expect((await fetch(`${adminUrl}/readyz`)).status).toBe(200);
    expect((await harness.request('/readyz')).status).toBe(200);
  });
});
