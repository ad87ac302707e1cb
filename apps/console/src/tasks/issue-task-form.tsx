import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { Link } from 'wouter';
import type { FunctionEntry } from '../api/api-types.js';
import { problemText } from '../layout/problem-text.js';
import { useSession } from '../session/session-context.js';

const CONTENT_TYPES = [
  { value: 'application/json', label: 'JSON' },
  { value: 'text/plain; charset=utf-8', label: 'Text' },
] as const;

/**
 * Issues a task (POST /v1/task/:functionId) with a query string and a body; says which task it
 * issued, with a link to follow it. Given one function, issues tasks of that one only.
 */
export function IssueTaskForm(props: {
  readonly functions: readonly FunctionEntry[];
  readonly fixedFunctionId?: string;
}) {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const id = useId();
  const [functionId, setFunctionId] = useState(props.fixedFunctionId ?? '');
  const [query, setQuery] = useState('');
  const [body, setBody] = useState('');
  const [contentType, setContentType] = useState<string>(CONTENT_TYPES[0].value);
  const chosen = props.fixedFunctionId ?? (functionId === '' ? props.functions[0]?.id : functionId);

  const issue = useMutation({
    mutationFn: async () => {
      if (chosen === undefined) throw new Error('Register a function first.');
      if (contentType === 'application/json' && body.trim() !== '') {
        try {
          JSON.parse(body);
        } catch (error) {
          throw new Error(`The body is not JSON: ${(error as Error).message}`, { cause: error });
        }
      }
      return client.issueTask(chosen, body === '' ? undefined : body, {
        query: query.trim(),
        contentType,
      });
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['tasks'] }),
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    issue.mutate();
  };

  return (
    <form className="issue-task" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Issue a task</h2>
      <div className="fields">
        {props.fixedFunctionId === undefined ? (
          <div className="field">
            <label htmlFor={`${id}-function`}>Function</label>
            <select
              id={`${id}-function`}
              value={chosen ?? ''}
              onChange={(event) => setFunctionId(event.target.value)}
              required
            >
              {props.functions.length === 0 ? <option value="">(no function yet)</option> : null}
              {props.functions.map((fn) => (
                <option key={fn.id} value={fn.id}>
                  {fn.name}
                </option>
              ))}
            </select>
          </div>
        ) : null}
        <div className="field">
          <label htmlFor={`${id}-query`}>Query string</label>
          <input
            id={`${id}-query`}
            value={query}
            placeholder="name=John&count=2"
            onChange={(event) => setQuery(event.target.value)}
            aria-describedby={`${id}-query-help`}
          />
          <span id={`${id}-query-help`} className="help">
            What the function gets as its query parameters (optional)
          </span>
        </div>
        <div className="field">
          <label htmlFor={`${id}-content-type`}>Body type</label>
          <select
            id={`${id}-content-type`}
            value={contentType}
            onChange={(event) => setContentType(event.target.value)}
          >
            {CONTENT_TYPES.map((type) => (
              <option key={type.value} value={type.value}>
                {type.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field wide">
          <label htmlFor={`${id}-body`}>Body</label>
          <textarea
            id={`${id}-body`}
            value={body}
            rows={3}
            placeholder='{"name":"John Doe"}'
            spellCheck={false}
            onChange={(event) => setBody(event.target.value)}
          />
        </div>
      </div>
      <button type="submit" disabled={issue.isPending || chosen === undefined}>
        {issue.isPending ? 'Issuing…' : 'Issue task'}
      </button>
      <div aria-live="polite" className="outcome">
        {issue.isError ? (
          <p className="problem" role="alert">
            {problemText(issue.error)}
          </p>
        ) : null}
        {issue.isSuccess ? (
          <p>
            Issued task <Link href={`/tasks/${issue.data}`}>{issue.data}</Link>.
          </p>
        ) : null}
      </div>
    </form>
  );
}
