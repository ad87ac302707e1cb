import { useEffect, useRef, useState } from 'react';
import { Link } from 'wouter';
import type { TaskEntry } from '../api/api-types.js';
import { UnixTime } from '../layout/times.js';
import { TaskProgress, TaskStatus } from './task-status.js';
import { statusText } from './task-timeline.js';

/**
 * Tasks, newest first, as the live list shows them. A task that ends while the list is shown is
 * announced to screen readers (politely, once).
 */
export function TaskTable(props: {
  readonly tasks: readonly TaskEntry[];
  readonly caption: string;
}) {
  const seen = useRef(new Map<string, number>());
  const [announcement, setAnnouncement] = useState('');
  useEffect(() => {
    const ended: string[] = [];
    for (const task of props.tasks) {
      const before = seen.current.get(task.id);
      if (before === 0 && task.status !== 0)
        ended.push(`Task ${task.id} ended: ${statusText(task.status)}.`);
      seen.current.set(task.id, task.status);
    }
    if (ended.length > 0) setAnnouncement(ended.join(' '));
  }, [props.tasks]);

  return (
    <>
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {props.tasks.length === 0 ? (
        <p>No task matches.</p>
      ) : (
        <table className="tasks">
          <caption>{props.caption}</caption>
          <thead>
            <tr>
              <th scope="col">Task</th>
              <th scope="col">Issued</th>
              <th scope="col">Status</th>
              <th scope="col">Progress</th>
            </tr>
          </thead>
          <tbody>
            {props.tasks.map((task) => (
              <tr key={task.id} data-task-id={task.id}>
                <th scope="row">
                  <Link href={`/tasks/${task.id}`} className="mono">
                    {task.id}
                  </Link>
                </th>
                <td>
                  <UnixTime value={task.issued} />
                </td>
                <td>
                  <TaskStatus status={task.status} />
                </td>
                <td>
                  <TaskProgress progress={task.progress} label={`Progress of task ${task.id}`} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
