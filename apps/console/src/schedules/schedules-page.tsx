import { dataOf } from '@canopy/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'wouter';
import { allFunctions, allSchedules } from '../api/api-reads.js';
import type { Schedule } from '../api/api-types.js';
import { PageHeading } from '../layout/page-heading.js';
import { problemText } from '../layout/problem-text.js';
import { QueryStatus } from '../layout/query-status.js';
import { TimeAgo, UnixTime, useNow } from '../layout/times.js';
import { useSession } from '../session/session-context.js';

const SCHEDULES_REFRESH_MS = 5000;

/** The account's schedules: their cron, next and last tick, paused or not (and a button to change it). */
export function SchedulesPage() {
  const { client } = useSession();
  const now = useNow();
  const schedules = useQuery({
    queryKey: ['schedules'],
    queryFn: ({ signal }) => allSchedules(client, signal),
    refetchInterval: SCHEDULES_REFRESH_MS,
  });
  const functions = useQuery({
    queryKey: ['functions'],
    queryFn: ({ signal }) => allFunctions(client, signal),
  });
  const functionName = (functionId: string) =>
    functions.data?.find((fn) => fn.id === functionId)?.name ?? functionId;
  return (
    <>
      <PageHeading title="Schedules" />
      <p className="help">
        Schedules issue a task of their function at every tick of their cron (
        <code>canopy schedule create</code>).
      </p>
      <QueryStatus isPending={schedules.isPending} error={schedules.error} what="the schedules" />
      {schedules.data === undefined ? null : schedules.data.length === 0 ? (
        <p>No schedule yet.</p>
      ) : (
        <table className="schedules">
          <thead>
            <tr>
              <th scope="col">Schedule</th>
              <th scope="col">Function</th>
              <th scope="col">Cron</th>
              <th scope="col">Next tick</th>
              <th scope="col">Last tick</th>
              <th scope="col">State</th>
            </tr>
          </thead>
          <tbody>
            {schedules.data.map((schedule) => (
              <tr key={schedule.id} data-schedule-id={schedule.id}>
                <th scope="row">
                  {schedule.name === '' ? (
                    <span className="mono">{schedule.id}</span>
                  ) : (
                    schedule.name
                  )}
                </th>
                <td>
                  <Link href={`/functions/${schedule.functionId}`}>
                    {functionName(schedule.functionId)}
                  </Link>
                </td>
                <td>
                  <code>{schedule.cron}</code> ({schedule.timeZone})
                </td>
                <td>
                  {schedule.nextTickAt === null ? (
                    '-'
                  ) : (
                    <NextTick value={schedule.nextTickAt} now={now} />
                  )}
                </td>
                <td>
                  <TimeAgo value={schedule.lastTickAt} now={now} />
                </td>
                <td>
                  <PauseToggle schedule={schedule} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function NextTick(props: { readonly value: string; readonly now: number }) {
  const seconds = Math.round(Number(props.value) - props.now / 1000);
  return (
    <>
      <UnixTime value={props.value} />
      <br />
      <span className="subtle">
        {seconds <= 0
          ? 'due now'
          : seconds < 90
            ? `in ${seconds} s`
            : `in ${Math.round(seconds / 60)} min`}
      </span>
    </>
  );
}

function PauseToggle(props: { readonly schedule: Schedule }) {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const { schedule } = props;
  const change = useMutation({
    mutationFn: async (paused: boolean) =>
      dataOf(
        await client.api.PATCH('/v1/schedule/{id}', {
          params: { path: { id: schedule.id } },
          body: { paused },
        }),
      ),
    onSuccess: (changed) => {
      queryClient.setQueryData<Schedule[]>(['schedules'], (current) =>
        current?.map((each) => (each.id === changed.id ? changed : each)),
      );
      void queryClient.invalidateQueries({ queryKey: ['schedules'] });
    },
  });
  const label = schedule.name === '' ? schedule.id : schedule.name;
  return (
    <>
      <span className={schedule.paused ? 'state paused' : 'state active'}>
        {schedule.paused ? 'Paused' : 'Active'}
      </span>{' '}
      <button
        type="button"
        className="secondary"
        disabled={change.isPending}
        aria-label={`${schedule.paused ? 'Resume' : 'Pause'} schedule ${label}`}
        onClick={() => change.mutate(!schedule.paused)}
      >
        {schedule.paused ? 'Resume' : 'Pause'}
      </button>
      {change.isError ? (
        <span className="problem" role="alert">
          {' '}
          {problemText(change.error)}
        </span>
      ) : null}
    </>
  );
}
