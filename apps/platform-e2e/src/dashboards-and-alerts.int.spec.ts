import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import {
  ALERT_RULES_FILE,
  DASHBOARD_FILE,
  canopyMetricNames,
  dashboardExpressions,
} from './testing/operations-files.js';
import { executableOnPath } from './testing/prometheus-server.js';

// The dashboard is importable JSON with a query on every panel; the alerting rules pass promtool.
// That each expression runs against real metrics is checked by prometheus-metrics.e2e.spec.ts.

const run = promisify(execFile);
const promtool = executableOnPath('promtool');

describe('the Grafana dashboard', () => {
  test('is a dashboard with a Prometheus input and a query on every panel', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
      title: string;
      uid: string;
      __inputs: { name: string; pluginId: string }[];
      panels: { type: string; title: string; targets?: unknown[] }[];
    };
    expect(dashboard).toMatchObject({ title: 'Canopy', uid: 'canopy-overview' });
    expect(dashboard.__inputs).toEqual([
      expect.objectContaining({ name: 'DS_PROMETHEUS', pluginId: 'prometheus' }),
    ]);
    const withoutQuery = dashboard.panels
      .filter((panel) => panel.type !== 'row' && (panel.targets ?? []).length === 0)
      .map((panel) => panel.title);
    expect(withoutQuery).toEqual([]);
    const titles = dashboard.panels.map((panel) => panel.title.toLowerCase()).join(' | ');
    for (const subject of ['tasks per second', 'p99', 'queue depth', 'slots', 'lag', 'error'])
      expect(titles).toContain(subject);
  });

  test('reads only metrics that docs/operations.md lists', () => {
    const documented = readFileSync(
      new URL('../../../docs/operations.md', import.meta.url),
      'utf8',
    );
    const used = new Set(dashboardExpressions().flatMap(({ expr }) => canopyMetricNames(expr)));
    const rules = readFileSync(ALERT_RULES_FILE, 'utf8');
    for (const name of canopyMetricNames(rules)) used.add(name);
    const undocumented = [...used].filter((name) => !documented.includes(`\`${name}\``));
    expect(undocumented).toEqual([]);
  });
});

(promtool === undefined ? describe.skip : describe)(
  `the alerting rules${promtool === undefined ? ' (SKIPPED: promtool not on PATH; apt-get install prometheus)' : ''}`,
  () => {
    test('pass promtool check rules', async () => {
      const { stdout } = await run(promtool as string, ['check', 'rules', ALERT_RULES_FILE]);
      expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
    });
  },
);
