import type { FunctionResponse } from '@canopy/client';
import { CanopyTaskFailedError } from '@canopy/client';
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { problemText } from '../layout/problem-text.js';
import { useSession } from '../session/session-context.js';
import { byteSize, resultFileName, resultView } from './result-view.js';

/**
 * A task's result once it ended: the function's response (JSON pretty-printed, text as it is,
 * anything else offered as a download), or why the platform gave up on it.
 */
export function TaskResult(props: { readonly taskId: string; readonly ended: boolean }) {
  const { client } = useSession();
  const id = useId();
  const result = useQuery({
    queryKey: ['task-result', props.taskId],
    queryFn: () => client.taskResult(props.taskId),
    enabled: props.ended,
    retry: false,
    // The read models may be a moment behind the event that ended the task.
    refetchInterval: (query) => (query.state.data?.kind === 'pending' ? 1000 : false),
  });

  let content;
  if (!props.ended) {
    content = <p>The result is shown here once the task has ended.</p>;
  } else if (result.error instanceof CanopyTaskFailedError) {
    content = (
      <p className="problem">
        The platform gave up on the task: <strong>{result.error.code}</strong> (
        {result.error.status}): {result.error.message}
      </p>
    );
  } else if (result.error !== null) {
    content = (
      <p className="problem" role="alert">
        Could not read the result: {problemText(result.error)}
      </p>
    );
  } else if (result.data === undefined || result.data.kind === 'pending') {
    content = <p role="status">Loading the result…</p>;
  } else {
    content = <FunctionAnswer response={result.data.response} />;
  }
  return (
    <section aria-labelledby={`${id}-title`} className="result">
      <h2 id={`${id}-title`}>Result</h2>
      {content}
    </section>
  );
}

function FunctionAnswer(props: { readonly response: FunctionResponse }) {
  const { response } = props;
  const view = resultView(response.contentType, response.body);
  const download = () => {
    const blob = new Blob([response.body.slice()], {
      type: response.contentType ?? 'application/octet-stream',
    });
    const url = URL.createObjectURL(blob);
    const link = document.createElement('a');
    link.href = url;
    link.download = resultFileName(response.taskId, response.contentType);
    document.body.append(link);
    link.click();
    link.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  return (
    <>
      <dl className="facts">
        <dt>Status</dt>
        <dd>{response.status}</dd>
        <dt>Content type</dt>
        <dd>{response.contentType ?? '(none)'}</dd>
        <dt>Size</dt>
        <dd>{byteSize(response.body.byteLength)}</dd>
      </dl>
      {view.kind === 'binary' ? (
        <p>The body is binary and is not shown.</p>
      ) : (
        <pre
          className="body"
          tabIndex={0}
          aria-label={view.kind === 'json' ? 'The JSON body' : 'The body'}
        >
          {view.text}
        </pre>
      )}
      <button
        type="button"
        className={view.kind === 'binary' ? undefined : 'secondary'}
        onClick={download}
      >
        Download the body ({byteSize(response.body.byteLength)})
      </button>
    </>
  );
}
