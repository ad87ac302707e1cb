import { dataOf } from '@canopy/client';
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { PageHeading } from '../layout/page-heading.js';
import { QueryStatus } from '../layout/query-status.js';
import { useSession } from '../session/session-context.js';
import { BarChart } from './bar-chart.js';
import { axisNumber } from './chart-scale.js';

const METRICS_REFRESH_MS = 5000;
const ACTIVITY_REFRESH_MS = 15_000;

/** The account's counts (GET /v1/metrics) and its last hour by minute (GET /v1/metrics/recent). */
export function MetricsPage() {
  const { client } = useSession();
  const id = useId();
  const counts = useQuery({
    queryKey: ['metrics'],
    queryFn: async ({ signal }) => dataOf(await client.api.GET('/v1/metrics', { signal })),
    refetchInterval: METRICS_REFRESH_MS,
  });
  const recent = useQuery({
    queryKey: ['metrics-recent'],
    queryFn: async ({ signal }) => dataOf(await client.api.GET('/v1/metrics/recent', { signal })),
    refetchInterval: ACTIVITY_REFRESH_MS,
  });
  const minutes = recent.data?.minutes ?? [];
  const columns = minutes.map((minute) =>
    new Date(Number(minute.at) * 1000).toISOString().slice(11, 16),
  );
  const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);
  const issued = sum(minutes.map((minute) => minute.issued));
  const finished = sum(minutes.map((minute) => minute.finished));
  const failed = sum(minutes.map((minute) => minute.failed));
  const worstP95 = Math.max(0, ...minutes.map((minute) => minute.latencyP95 ?? 0));

  return (
    <>
      <PageHeading title="Metrics" />
      <section aria-labelledby={`${id}-counts`}>
        <h2 id={`${id}-counts`}>Now</h2>
        <QueryStatus isPending={counts.isPending} error={counts.error} what="the metrics" />
        {counts.data === undefined ? null : (
          <ul className="counts">
            <li>
              <span className="count">{counts.data.pendingTasks}</span> pending tasks
            </li>
            <li>
              <span className="count">{counts.data.todayTasks}</span> tasks today (UTC)
            </li>
            <li>
              <span className="count">{counts.data.completedTasks}</span> completed tasks
            </li>
            <li>
              <span className="count">{counts.data.activeNodes}</span> active nodes
            </li>
            <li>
              <span className="count">{counts.data.busyNodes}</span> busy nodes
            </li>
            <li>
              <span className="count">{counts.data.freeNodes}</span> free nodes
            </li>
          </ul>
        )}
      </section>
      <section aria-labelledby={`${id}-hour`}>
        <h2 id={`${id}-hour`}>The last hour</h2>
        <p className="help">
          Tasks count in the minute they were issued (UTC times); updated every{' '}
          {ACTIVITY_REFRESH_MS / 1000} s.
        </p>
        <QueryStatus isPending={recent.isPending} error={recent.error} what="the last hour" />
        {recent.data === undefined ? null : (
          <div className="charts">
            <BarChart
              title="Throughput: tasks per minute"
              summary={`In the last hour ${issued} tasks were issued; ${finished} finished and ${failed} failed.`}
              unit="tasks"
              columns={columns}
              series={[
                {
                  label: 'issued',
                  className: 'series-issued',
                  values: minutes.map((m) => m.issued),
                },
                {
                  label: 'finished',
                  className: 'series-finished',
                  values: minutes.map((m) => m.finished),
                },
                {
                  label: 'failed',
                  className: 'series-failed',
                  values: minutes.map((m) => m.failed),
                },
              ]}
            />
            <BarChart
              title="Latency: seconds from issue to result"
              summary={
                finished === 0
                  ? 'No task finished in the last hour.'
                  : `The slowest minute's 95th percentile was ${axisNumber(worstP95)} s.`
              }
              unit="seconds"
              columns={columns}
              series={[
                {
                  label: 'median',
                  className: 'series-p50',
                  values: minutes.map((m) => m.latencyP50),
                },
                {
                  label: '95th percentile',
                  className: 'series-p95',
                  values: minutes.map((m) => m.latencyP95),
                },
              ]}
            />
          </div>
        )}
      </section>
    </>
  );
}
