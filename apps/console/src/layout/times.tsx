import { useEffect, useState } from 'react';
import { isoTime, timeAgo } from '../tasks/task-timeline.js';

/** The current time, renewed every `intervalMs`: for "12 s ago" that keeps moving. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** A unix time from the API: UTC date and time, as a <time> element. */
export function UnixTime(props: { readonly value: string | null | undefined }) {
  if (props.value === null || props.value === undefined) return <span>-</span>;
  const iso = new Date(Number(props.value) * 1000).toISOString();
  return <time dateTime={iso}>{isoTime(props.value)}</time>;
}

/** A unix time from the API as "12 s ago", the exact time in its title. */
export function TimeAgo(props: {
  readonly value: string | null | undefined;
  readonly now: number;
}) {
  if (props.value === null || props.value === undefined) return <span>never</span>;
  const iso = new Date(Number(props.value) * 1000).toISOString();
  return (
    <time dateTime={iso} title={isoTime(props.value)}>
      {timeAgo(props.value, props.now)}
    </time>
  );
}
