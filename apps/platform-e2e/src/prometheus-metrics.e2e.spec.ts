import { eventually } from '@canopy/async-testing';
import { stackForFile } from './testing/stack-for-file.js';
import type { NodeHandle, PlatformStack } from './testing/platform-stack.js';
import {
  executableOnPath,
  promtoolCheckMetrics,
  startPrometheus,
  type PrometheusServer,
} from './testing/prometheus-server.js';
import { canopyMetricNames, dashboardExpressions } from './testing/operations-files.js';
import { repositoryRoot } from './testing/service-process.js';

// A real Prometheus scrapes every service of a running stack; the counters it stores move by
// exactly the tasks issued, and every service's /metrics passes `promtool check metrics`.
// Prometheus comes from Debian's `prometheus` package (.ci/run installs it when missing).

const prometheusPath = executableOnPath('prometheus');
const promtoolPath = executableOnPath('promtool');
const missing = [
  ...(prometheusPath === undefined ? ['prometheus'] : []),
  ...(promtoolPath === undefined ? ['promtool'] : []),
];
const TASKS = 6;
const hostPort = (url: string) => new URL(url).host;

if (missing.length > 0) {
  describe.skip(`Prometheus scraping the stack: SKIPPED, ${missing.join(' and ')} not on PATH (apt-get install prometheus)`, () => {
    test('needs Prometheus', () => undefined);
  });
} else {
  const prometheus = prometheusPath as string;
  const promtool = promtoolPath as string;

  describe('Prometheus scraping the stack', () => {
    const file = stackForFile({ label: 'prometheus' });
    let node: NodeHandle;
    let server: PrometheusServer | undefined;
    let metricsUrls: Record<string, string>;

    beforeAll(async () => {
      const { stack } = file;
      node = await stack.startNode({ slots: 2 });
      metricsUrls = {
        gateway: `${stack.adminUrls.gateway}/metrics`,
        scheduler: `${stack.adminUrls.scheduler}/metrics`,
        projector: `${stack.adminUrls.projector}/metrics`,
        'node-agent': `${node.adminUrl}/metrics`,
      };
      server = await startPrometheus({
        executable: prometheus,
        jobs: [
          { job: 'canopy-gateway', targets: [hostPort(stack.adminUrls.gateway)] },
          { job: 'canopy-scheduler', targets: [hostPort(stack.adminUrls.scheduler)] },
          { job: 'canopy-projector', targets: [hostPort(stack.adminUrls.projector)] },
          { job: 'canopy-node', targets: [hostPort(node.adminUrl)] },
        ],
        ruleFiles: [`${repositoryRoot}infra/prometheus/alerts.yml`],
      });
    }, 120_000);
    afterAll(async () => {
      await server?.stop();
    });

    const prom = () => {
      if (server === undefined) throw new Error('prometheus did not start');
      return server;
    };

    file.test('every service is scraped, ready, and passes promtool check metrics', async () => {
      await eventually(
        async () => {
          const up = await prom().query('up');
          expect(up.map((sample) => [sample.metric['job'], sample.value]).sort()).toEqual([
            ['canopy-gateway', 1],
            ['canopy-node', 1],
            ['canopy-projector', 1],
            ['canopy-scheduler', 1],
          ]);
          expect(await prom().sum('canopy_service_ready')).toBe(4);
        },
        60_000,
        500,
      );
      for (const [service, url] of Object.entries(metricsUrls)) {
        const text = await (await fetch(url)).text();
        const check = await promtoolCheckMetrics(promtool, text);
        expect({ service, ...check }).toEqual({ service, code: 0, output: '' });
      }
      expect((await prom().ruleNames()).sort()).toEqual(
        expect.arrayContaining(['CanopyNoSchedulerReady', 'CanopyProjectorLagging']),
      );
    });

    file.test('the counters move by exactly the tasks issued', async (stack: PlatformStack) => {
      const { token } = await stack.signUp('prometheus');
      const functionId = await stack.registerFunction(token, {
        runtime: { kind: 'process', command: 'cat' },
      });
      const issued: string[] = [];
      for (let n = 0; n < TASKS; n += 1) {
        const answer = await stack.requestJson<{ id: string }>(`/v1/task/${functionId}`, {
          method: 'POST',
          token,
          json: { n },
        });
        expect(answer.status).toBe(201);
        issued.push(answer.body.id);
      }
      for (const taskId of issued) {
        const result = await stack.request(`/v1/task/${taskId}/result?wait=30`, { token });
        expect(result.status).toBe(200);
      }
      const expectations: [string, number][] = [
        ['sum(canopy_tasks_issued_total)', TASKS],
        ['sum(canopy_tasks_issued_total{origin="api"})', TASKS],
        ['sum(canopy_tasks_assigned_total)', TASKS],
        ['sum(canopy_tasks_finished_total)', TASKS],
        ['sum(canopy_tasks_failed_total)', 0],
        ['sum(canopy_task_assignment_wait_seconds_count)', TASKS],
        ['sum(canopy_task_completion_seconds_count)', TASKS],
        ['sum(canopy_scheduler_offers_total{outcome="accepted"})', TASKS],
        ['sum(canopy_task_issue_seconds_count)', TASKS],
        [
          'sum(canopy_http_request_duration_seconds_count{method="POST",route="/v1/task/:id",status_code="201"})',
          TASKS,
        ],
        ['sum(canopy_node_tasks_total{outcome="2xx"})', TASKS],
        ['sum(canopy_node_task_run_seconds_count)', TASKS],
        ['sum(canopy_projector_lag_events)', 0],
      ];
      await eventually(
        async () => {
          const seen: [string, number][] = [];
          for (const [expression] of expectations)
            seen.push([expression, await prom().sum(expression)]);
          expect(seen).toEqual(expectations);
        },
        60_000,
        1_000,
      );
      // The projector applied at least every event of these tasks (issued, assigned, finished...).
      expect(await prom().sum('canopy_projector_events_total')).toBeGreaterThanOrEqual(3 * TASKS);
      expect(await prom().sum('canopy_scheduler_slots')).toBe(2);
      expect(await prom().sum('canopy_scheduler_nodes')).toBe(1);
      // Every query of the Grafana dashboard runs, and reads metrics that exist.
      const names = new Set(
        (await prom().query('count by (__name__) ({__name__=~"canopy_.+"})')).map(
          (sample) => sample.metric['__name__']?.replace(/_(bucket|count|sum)$/, '') ?? '',
        ),
      );
      for (const { panel, expr } of dashboardExpressions()) {
        await expect(prom().query(expr)).resolves.toBeDefined();
        for (const name of canopyMetricNames(expr))
          expect({ panel, name, exists: names.has(name) }).toEqual({ panel, name, exists: true });
      }
      // No task id ever became a label value.
      const series = await prom().query('{__name__=~"canopy_.+"}');
      const labelValues = series.flatMap((sample) => Object.values(sample.metric));
      for (const taskId of issued) expect(labelValues).not.toContain(taskId);
    });
  });
}
