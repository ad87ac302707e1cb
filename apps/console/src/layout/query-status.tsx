import { problemText } from './problem-text.js';

/** What a section shows while its data loads, or when it could not be read. */
export function QueryStatus(props: {
  readonly isPending: boolean;
  readonly error: unknown;
  readonly what: string;
}) {
  if (props.error !== null && props.error !== undefined) {
    return (
      <p className="problem" role="alert">
        Could not read {props.what}: {problemText(props.error)}
      </p>
    );
  }
  if (props.isPending) {
    return (
      <p className="loading" role="status">
        Loading {props.what}…
      </p>
    );
  }
  return null;
}
