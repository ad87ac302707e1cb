import { dataOf } from '@canopy/client';
import { useQuery } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { allFunctions } from '../api/api-reads.js';
import { PageHeading } from '../layout/page-heading.js';
import { QueryStatus } from '../layout/query-status.js';
import { useSession } from '../session/session-context.js';
import { IssueTaskForm } from './issue-task-form.js';
import { TaskTable } from './task-table.js';

/** How often the task list asks for news while it is shown. */
export const TASK_LIST_REFRESH_MS = 2000;
const PAGE_SIZE = 50;

const STATUS_FILTERS = [
  { value: '', label: 'Any' },
  { value: '0', label: 'Not finished' },
  { value: '200', label: '200 OK' },
  { value: '400', label: '400 Bad request' },
  { value: '404', label: '404 Not found' },
  { value: '499', label: '499 Cancelled' },
  { value: '500', label: '500 Error' },
  { value: '502', label: '502 Node lost' },
  { value: '503', label: '503 No node' },
  { value: '504', label: '504 Timeout' },
] as const;

export interface TaskFilters {
  readonly functionId: string;
  readonly status: string;
  readonly since: string;
  readonly until: string;
}

const NO_FILTERS: TaskFilters = { functionId: '', status: '', since: '', until: '' };

export function TasksPage() {
  const { client } = useSession();
  const id = useId();
  const [filters, setFilters] = useState<TaskFilters>(NO_FILTERS);
  const functions = useQuery({
    queryKey: ['functions'],
    queryFn: ({ signal }) => allFunctions(client, signal),
  });
  const tasks = useTaskList(filters);
  const set = (change: Partial<TaskFilters>) =>
    setFilters((current) => ({ ...current, ...change }));

  return (
    <>
      <PageHeading title="Tasks" />
      <IssueTaskForm functions={functions.data ?? []} />
      <section aria-labelledby={`${id}-list`}>
        <h2 id={`${id}-list`}>Latest tasks</h2>
        <form
          className="filters"
          role="search"
          aria-label="Filter tasks"
          onSubmit={(e) => e.preventDefault()}
        >
          <div className="field">
            <label htmlFor={`${id}-function`}>Function</label>
            <select
              id={`${id}-function`}
              value={filters.functionId}
              onChange={(event) => set({ functionId: event.target.value })}
            >
              <option value="">Any</option>
              {(functions.data ?? []).map((fn) => (
                <option key={fn.id} value={fn.id}>
                  {fn.name}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-status`}>Status</label>
            <select
              id={`${id}-status`}
              value={filters.status}
              onChange={(event) => set({ status: event.target.value })}
            >
              {STATUS_FILTERS.map((status) => (
                <option key={status.value} value={status.value}>
                  {status.label}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor={`${id}-since`}>Issued from (UTC day)</label>
            <input
              id={`${id}-since`}
              type="date"
              value={filters.since}
              onChange={(event) => set({ since: event.target.value })}
            />
          </div>
          <div className="field">
            <label htmlFor={`${id}-until`}>Issued until (UTC day)</label>
            <input
              id={`${id}-until`}
              type="date"
              value={filters.until}
              onChange={(event) => set({ until: event.target.value })}
            />
          </div>
          <button type="button" className="secondary" onClick={() => setFilters(NO_FILTERS)}>
            Clear filters
          </button>
        </form>
        <QueryStatus isPending={tasks.isPending} error={tasks.error} what="the tasks" />
        {tasks.data === undefined ? null : (
          <TaskTable
            tasks={tasks.data}
            caption={`The ${PAGE_SIZE} newest tasks that match, updated every ${TASK_LIST_REFRESH_MS / 1000} s`}
          />
        )}
      </section>
    </>
  );
}

/** The newest page of tasks that match, asked for again every couple of seconds while shown. */
export function useTaskList(filters: TaskFilters) {
  const { client } = useSession();
  return useQuery({
    queryKey: ['tasks', filters],
    queryFn: async ({ signal }) =>
      dataOf(
        await client.api.GET('/v1/task/list', {
          params: {
            query: {
              limit: String(PAGE_SIZE),
              ...(filters.functionId === '' ? {} : { functionId: filters.functionId }),
              ...(filters.status === '' ? {} : { status: filters.status }),
              ...(filters.since === '' ? {} : { since: filters.since }),
              ...(filters.until === '' ? {} : { until: filters.until }),
            },
          },
          signal,
        }),
      ),
    refetchInterval: TASK_LIST_REFRESH_MS,
    placeholderData: (previous) => previous,
  });
}
