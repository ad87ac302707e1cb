import { dataOf, requirementsText } from '@canopy/client';
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { PageHeading } from '../layout/page-heading.js';
import { QueryStatus } from '../layout/query-status.js';
import { UnixTime } from '../layout/times.js';
import { useSession } from '../session/session-context.js';
import { IssueTaskForm } from '../tasks/issue-task-form.js';
import { TaskTable } from '../tasks/task-table.js';
import { useTaskList } from '../tasks/tasks-page.js';

/** A function: its definition, the counts of its tasks, a form to issue one, its latest tasks. */
export function FunctionPage(props: { readonly functionId: string }) {
  const { client } = useSession();
  const id = useId();
  const fn = useQuery({
    queryKey: ['function', props.functionId],
    queryFn: async ({ signal }) =>
      dataOf(
        await client.api.GET('/v1/function/{id}', {
          params: { path: { id: props.functionId } },
          signal,
        }),
      ),
    refetchInterval: 5000,
  });
  const tasks = useTaskList({ functionId: props.functionId, status: '', since: '', until: '' });
  const name = fn.data?.name ?? props.functionId;
  return (
    <>
      <PageHeading title={`Function ${name}`} />
      <QueryStatus isPending={fn.isPending} error={fn.error} what="the function" />
      {fn.data === undefined ? null : (
        <>
          <dl className="facts">
            <dt>Id</dt>
            <dd className="mono">{fn.data.id}</dd>
            <dt>Description</dt>
            <dd>{fn.data.description === '' ? '-' : fn.data.description}</dd>
            <dt>Version</dt>
            <dd>{fn.data.version}</dd>
            <dt>Runtime</dt>
            <dd>
              <code>{JSON.stringify(fn.data.runtime)}</code>
            </dd>
            <dt>Needs</dt>
            <dd>{requirementsText(fn.data.capabilities)}</dd>
            <dt>Timeout</dt>
            <dd>{fn.data.capabilities.timeout} s</dd>
            <dt>Created</dt>
            <dd>
              <UnixTime value={fn.data.created} />
            </dd>
          </dl>
          <section aria-labelledby={`${id}-metrics`}>
            <h2 id={`${id}-metrics`}>Its tasks</h2>
            <ul className="counts">
              <li>
                <span className="count">{fn.data.metrics.pendingTasks}</span> pending
              </li>
              <li>
                <span className="count">{fn.data.metrics.todaysTasks}</span> today
              </li>
              <li>
                <span className="count">{fn.data.metrics.weekTasks}</span> this week
              </li>
              <li>
                <span className="count">{fn.data.metrics.completedTasks}</span> completed
              </li>
            </ul>
          </section>
          <IssueTaskForm functions={[]} fixedFunctionId={fn.data.id} />
        </>
      )}
      <section aria-labelledby={`${id}-tasks`}>
        <h2 id={`${id}-tasks`}>Latest tasks of the function</h2>
        <QueryStatus isPending={tasks.isPending} error={tasks.error} what="the tasks" />
        {tasks.data === undefined ? null : (
          <TaskTable tasks={tasks.data} caption={`The newest tasks of ${name}, updated live`} />
        )}
      </section>
    </>
  );
}
