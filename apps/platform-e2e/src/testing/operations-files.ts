import { readFileSync } from 'node:fs';
import { repositoryRoot } from './service-process.js';

// The operator's files under infra/: the Grafana dashboard and Prometheus's alerting rules.

export const ALERT_RULES_FILE = `${repositoryRoot}infra/prometheus/alerts.yml`;
export const DASHBOARD_FILE = `${repositoryRoot}infra/grafana/canopy.json`;

interface DashboardPanel {
  readonly title: string;
  readonly type: string;
  readonly targets?: readonly { readonly expr: string }[];
}

/** Every PromQL expression of the dashboard's panels, with Grafana's `$__rate_interval` set to 1m. */
export function dashboardExpressions(): { panel: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as {
    panels: DashboardPanel[];
  };
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      panel: panel.title,
      expr: target.expr.replaceAll('$__rate_interval', '1m'),
    })),
  );
}

/** The `canopy_…` metric names an expression reads (histograms by their base name). */
export function canopyMetricNames(expression: string): string[] {
  return [...expression.matchAll(/\bcanopy_[a-z_]+/g)].map((match) =>
    match[0].replace(/_(bucket|count|sum)$/, ''),
  );
}
