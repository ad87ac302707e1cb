import { Counter } from 'prom-client';
import { startAdminServer, type RunningAdminServer } from './admin-server.js';
import { conditionCheck } from './readiness.js';
import { ServiceMetrics } from './service-metrics.js';

describe('the admin listener', () => {
  const metrics = new ServiceMetrics('test-service');
  metrics.readiness.add(
    conditionCheck('state', () => false, 'the state is not rebuilt yet'),
    { name: 'slow', check: () => new Promise<void>(() => undefined) },
  );
  let admin: RunningAdminServer;

  beforeAll(async () => {
    admin = await startAdminServer({ metrics, port: 0, host: '127.0.0.1' });
  });
  afterAll(() => admin.stop());

  it('answers /healthz while the process runs', async () => {
    const response = await fetch(`${admin.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz 503 naming each check that is down, with a check that hangs timed out', async () => {
    const response = await fetch(`${admin.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'unavailable',
      checks: {
        state: { status: 'down', reason: 'the state is not rebuilt yet' },
        slow: { status: 'down', reason: 'no answer within 2000 ms' },
      },
    });
  });

  it('serves the registry in the text format, with the process metrics and readiness', async () => {
    new Counter({
      name: 'canopy_test_things_total',
      help: 'Things.',
      registers: [metrics.registry],
    }).inc(3);
    const response = await fetch(`${admin.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toContain('canopy_test_things_total 3');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('canopy_service_ready{service="test-service"} 0');
    expect(text).toContain('canopy_readiness_check_up{check="state"} 0');
  });

  it('answers 404 for anything else and 405 for another method', async () => {
    expect((await fetch(`${admin.url}/`)).status).toBe(404);
    expect((await fetch(`${admin.url}/metrics/../x`)).status).toBe(404);
    expect((await fetch(`${admin.url}/healthz`, { method: 'POST' })).status).toBe(405);
  });
});

describe('readiness', () => {
  it('is ready once every check holds', async () => {
    let rebuilt = false;
    const metrics = new ServiceMetrics('other');
    metrics.readiness.add(conditionCheck('state', () => rebuilt, 'not yet'));
    expect((await metrics.readiness.evaluate()).ready).toBe(false);
    rebuilt = true;
    expect(await metrics.readiness.evaluate()).toEqual({
      ready: true,
      checks: { state: { status: 'up' } },
    });
  });
});

describe('the exposition', () => {
  test('has no gauge named like a counter (promtool check metrics refuses them)', async () => {
    const text = await new ServiceMetrics('lint').exposition();
    const gaugesWithTotal = [...text.matchAll(/^# TYPE (\S+_total) gauge$/gm)].map((m) => m[1]);
    expect(gaugesWithTotal).toEqual([]);
    expect(text).toContain('nodejs_active_handles');
  });
});
