import { dataOf, requirementsText } from '@canopy/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useId } from 'react';
import { Link } from 'wouter';
import type { TaskDetail } from '../api/api-types.js';
import { PageHeading } from '../layout/page-heading.js';
import { problemText } from '../layout/problem-text.js';
import { QueryStatus } from '../layout/query-status.js';
import { UnixTime } from '../layout/times.js';
import { useSession } from '../session/session-context.js';
import { useTaskHistory } from './task-history.js';
import { TaskResult } from './task-result.js';
import { TaskProgress, TaskStatus } from './task-status.js';
import { isoTime, taskTimeline } from './task-timeline.js';

/** How often a running task's details are read again (its events arrive as they happen). */
const RUNNING_TASK_REFRESH_MS = 2000;

export function TaskPage(props: { readonly taskId: string }) {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const id = useId();
  const task = useQuery({
    queryKey: ['task', props.taskId],
    queryFn: async ({ signal }) =>
      dataOf(
        await client.api.GET('/v1/task/{id}', { params: { path: { id: props.taskId } }, signal }),
      ),
    refetchInterval: (query) => (query.state.data?.status === 0 ? RUNNING_TASK_REFRESH_MS : false),
  });
  // Each new event says the task changed: read its details again now rather than at the next poll.
  const onEntry = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: ['task', props.taskId] });
  }, [queryClient, props.taskId]);
  const history = useTaskHistory(client, props.taskId, onEntry);
  const timeline = taskTimeline(history.entries);
  const ended = timeline.ended || (task.data !== undefined && task.data.status !== 0);

  const cancel = useMutation({
    mutationFn: async () =>
      dataOf(await client.api.DELETE('/v1/task/{id}', { params: { path: { id: props.taskId } } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['task', props.taskId] }),
  });

  return (
    <>
      <PageHeading title={`Task ${props.taskId}`}>
        Task <span className="mono">{props.taskId}</span>
      </PageHeading>
      <QueryStatus isPending={task.isPending} error={task.error} what="the task" />
      {task.data === undefined ? null : <TaskFacts task={task.data} />}
      {task.data !== undefined && !ended ? (
        <p>
          <button
            type="button"
            className="danger"
            disabled={cancel.isPending}
            onClick={() => cancel.mutate()}
          >
            Cancel the task
          </button>
          {cancel.isError ? (
            <span className="problem" role="alert">
              {' '}
              {problemText(cancel.error)}
            </span>
          ) : null}
        </p>
      ) : null}

      <section aria-labelledby={`${id}-timeline`}>
        <h2 id={`${id}-timeline`}>Timeline</h2>
        <p className="help" role="status">
          {history.live
            ? 'Following the task: events appear as they are recorded.'
            : timeline.ended
              ? 'The task has ended.'
              : history.error === undefined
                ? 'Connecting…'
                : `Not following: ${problemText(history.error)}`}
        </p>
        <ol className="timeline">
          {timeline.steps.map((step) => (
            <li key={step.version} className={`step step-${step.type}`}>
              <time dateTime={new Date(Number(step.at) * 1000).toISOString()}>
                {isoTime(step.at)}
              </time>{' '}
              <strong>{step.title}</strong> <span>{step.detail}</span>
            </li>
          ))}
        </ol>
      </section>

      <section aria-labelledby={`${id}-attempts`}>
        <h2 id={`${id}-attempts`}>Attempts</h2>
        {timeline.attempts.length === 0 ? (
          <p>No node has taken the task yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Attempt</th>
                <th scope="col">Node</th>
                <th scope="col">Assigned</th>
                <th scope="col">Progress</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {timeline.attempts.map((attempt) => (
                <tr key={attempt.attempt}>
                  <th scope="row">{attempt.attempt}</th>
                  <td className="mono">{attempt.node}</td>
                  <td>
                    <UnixTime value={attempt.assignedAt} />
                  </td>
                  <td>{attempt.progress}%</td>
                  <td>
                    {attempt.outcome}
                    {attempt.detail === '' ? '' : `: ${attempt.detail}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <TaskResult taskId={props.taskId} ended={ended} />
    </>
  );
}

function TaskFacts(props: { readonly task: TaskDetail }) {
  const { task } = props;
  const { client } = useSession();
  // The function's name, when it is still there to read (a deleted one shows by its id).
  const fn = useQuery({
    queryKey: ['function', task.functionId],
    queryFn: async ({ signal }) =>
      dataOf(
        await client.api.GET('/v1/function/{id}', {
          params: { path: { id: task.functionId } },
          signal,
        }),
      ),
    retry: false,
  });
  return (
    <dl className="facts">
      <dt>Status</dt>
      <dd>
        <TaskStatus status={task.status} />
      </dd>
      <dt>Progress</dt>
      <dd>
        <TaskProgress progress={task.progress} label="Progress of the task" />
      </dd>
      <dt>Function</dt>
      <dd>
        <Link
          href={`/functions/${task.functionId}`}
          className={fn.data === undefined ? 'mono' : undefined}
        >
          {fn.data?.name ?? task.functionId}
        </Link>
      </dd>
      <dt>Issued</dt>
      <dd>
        <UnixTime value={task.issued} />
      </dd>
      <dt>Assigned</dt>
      <dd>
        <UnixTime value={task.assigned} />
      </dd>
      <dt>Finished</dt>
      <dd>
        <UnixTime value={task.finished} />
      </dd>
      <dt>Node</dt>
      <dd className="mono">{task.node ?? '-'}</dd>
      <dt>Timeout</dt>
      <dd>{task.timeout} s</dd>
      <dt>Needs</dt>
      <dd>{requirementsText(task.capabilities)}</dd>
    </dl>
  );
}
