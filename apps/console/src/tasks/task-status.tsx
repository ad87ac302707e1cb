import { statusText } from './task-timeline.js';

/** A task's status as a badge: pending, a success (2xx, 3xx) or a failure (4xx, 5xx). */
export function TaskStatus(props: { readonly status: number }) {
  const kind = props.status === 0 ? 'pending' : props.status < 400 ? 'ok' : 'failed';
  return <span className={`status status-${kind}`}>{statusText(props.status)}</span>;
}

/** Progress as a bar with its number beside it. */
export function TaskProgress(props: { readonly progress: number; readonly label: string }) {
  return (
    <span className="progress">
      <progress max={100} value={props.progress} aria-label={props.label} />
      <span aria-hidden="true">{props.progress}%</span>
    </span>
  );
}
