import { dataOf } from '@canopy/client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { Link } from 'wouter';
import { problemText } from '../layout/problem-text.js';
import type { FunctionDefinition } from '../api/api-types.js';
import { useSession } from '../session/session-context.js';

type RuntimeSpec = FunctionDefinition['runtime'];
type RuntimeKind = RuntimeSpec['kind'];
type HttpMethod = NonNullable<Extract<RuntimeSpec, { kind: 'http' }>['method']>;

const runtimeKinds = [
  { kind: 'process', label: 'A process per task' },
  { kind: 'persistent', label: 'A process that stays up' },
  { kind: 'http', label: 'An HTTP endpoint' },
] as const satisfies readonly { kind: RuntimeKind; label: string }[];

const httpMethods = [
  'POST',
  'GET',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
] as const satisfies readonly HttpMethod[];

/**
 * Registers a function (POST /v1/function): its name, how nodes run it (a process per task, a
 * process that stays up, or an HTTP endpoint) and a timeout. The rest (requirements, environment,
 * retries, priority) the API and `canopy function create -f` take.
 */
export function RegisterFunctionForm() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const id = useId();
  const [name, setName] = useState('echo');
  const [kind, setKind] = useState<RuntimeKind>('process');
  const [command, setCommand] = useState('cat');
  const [args, setArgs] = useState('');
  const [url, setUrl] = useState('');
  const [method, setMethod] = useState<HttpMethod>('POST');
  const [concurrency, setConcurrency] = useState('1');
  const [timeout, setTimeoutSeconds] = useState('30');

  const runtime = (): RuntimeSpec => {
    if (kind === 'http') return { kind, url: url.trim(), method };
    const process = {
      command: command.trim(),
      args: args.split('\n').filter((line) => line.trim() !== ''),
    };
    if (kind === 'process') return { kind, ...process };
    // One invocation at a time is the runtime's default: only a larger number is written down.
    return Number(concurrency) > 1
      ? { kind, ...process, concurrency: Number(concurrency) }
      : { kind, ...process };
  };

  // The definition is the mutation's variable, so that the outcome names the function registered,
  // not whatever the name field holds by the time the answer comes (or after).
  const register = useMutation({
    mutationFn: async (definition: FunctionDefinition) =>
      dataOf(await client.api.POST('/v1/function', { body: definition })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['functions'] }),
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    register.mutate({
      name: name.trim(),
      description: '',
      capabilities: { timeout: Number(timeout) },
      runtime: runtime(),
    });
  };

  return (
    <form className="register-function" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Register a function</h2>
      <p className="help">
        A process per task gets the task's body on its standard input and answers on its standard
        output; a process that stays up serves tasks as JSON lines, one after another or several at
        once (docs/nodes.md); an HTTP endpoint gets each task as a request. (Requirements, retries
        and priority: <code>canopy function create -f</code>.)
      </p>
      <div className="fields">
        <div className="field">
          <label htmlFor={`${id}-name`}>Name</label>
          <input
            id={`${id}-name`}
            value={name}
            required
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor={`${id}-kind`}>Runs as</label>
          <select
            id={`${id}-kind`}
            value={kind}
            onChange={(e) => setKind(e.target.value as RuntimeKind)}
          >
            {runtimeKinds.map((option) => (
              <option key={option.kind} value={option.kind}>
                {option.label}
              </option>
            ))}
          </select>
        </div>
        {kind === 'http' ? (
          <>
            <div className="field">
              <label htmlFor={`${id}-url`}>URL</label>
              <input
                id={`${id}-url`}
                type="url"
                value={url}
                required
                placeholder="https://functions.example/echo"
                spellCheck={false}
                onChange={(e) => setUrl(e.target.value)}
              />
            </div>
            <div className="field">
              <label htmlFor={`${id}-method`}>Method</label>
              <select
                id={`${id}-method`}
                value={method}
                onChange={(e) => setMethod(e.target.value as HttpMethod)}
              >
                {httpMethods.map((option) => (
                  <option key={option}>{option}</option>
                ))}
              </select>
            </div>
          </>
        ) : (
          <>
            <div className="field">
              <label htmlFor={`${id}-command`}>Command</label>
              <input
                id={`${id}-command`}
                value={command}
                required
                spellCheck={false}
                onChange={(e) => setCommand(e.target.value)}
              />
            </div>
            <div className="field">
              <label htmlFor={`${id}-args`}>Arguments, one per line</label>
              <textarea
                id={`${id}-args`}
                value={args}
                rows={2}
                spellCheck={false}
                onChange={(e) => setArgs(e.target.value)}
              />
            </div>
            {kind === 'persistent' ? (
              <div className="field">
                <label htmlFor={`${id}-concurrency`}>Tasks one process serves at once</label>
                <input
                  id={`${id}-concurrency`}
                  type="number"
                  min={1}
                  required
                  value={concurrency}
                  onChange={(e) => setConcurrency(e.target.value)}
                />
              </div>
            ) : null}
          </>
        )}
        <div className="field">
          <label htmlFor={`${id}-timeout`}>Timeout (seconds)</label>
          <input
            id={`${id}-timeout`}
            type="number"
            min={1}
            required
            value={timeout}
            onChange={(e) => setTimeoutSeconds(e.target.value)}
          />
        </div>
      </div>
      <button type="submit" disabled={register.isPending}>
        {register.isPending ? 'Registering…' : 'Register function'}
      </button>
      <div aria-live="polite" className="outcome">
        {register.isError ? (
          <p className="problem" role="alert">
            {problemText(register.error)}
          </p>
        ) : null}
        {register.isSuccess ? (
          <p>
            Registered{' '}
            <Link href={`/functions/${register.data.id}`}>{register.variables.name}</Link>.
          </p>
        ) : null}
      </div>
    </form>
  );
}
