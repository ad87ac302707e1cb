import { dataOf } from '@canopy/client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import type { FormEvent } from 'react';
import { Link } from 'wouter';
import { problemText } from '../layout/problem-text.js';
import { useSession } from '../session/session-context.js';

/**
 * Registers a function that nodes run as a process (POST /v1/function): its name, the command, its
 * arguments (one per line) and a timeout. The rest (an HTTP runtime, requirements, retries) the API
 * and `canopy function create -f` take.
 */
export function RegisterFunctionForm() {
  const { client } = useSession();
  const queryClient = useQueryClient();
  const id = useId();
  const [name, setName] = useState('echo');
  const [command, setCommand] = useState('cat');
  const [args, setArgs] = useState('');
  const [timeout, setTimeoutSeconds] = useState('30');

  const register = useMutation({
    mutationFn: async () =>
      dataOf(
        await client.api.POST('/v1/function', {
          body: {
            name: name.trim(),
            description: '',
            capabilities: { timeout: Number(timeout) },
            runtime: {
              kind: 'process',
              command: command.trim(),
              args: args.split('\n').filter((line) => line.trim() !== ''),
            },
          },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['functions'] }),
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    register.mutate();
  };

  return (
    <form className="register-function" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>Register a function</h2>
      <p className="help">
        A function nodes run as a process: the task's body on its standard input, its standard
        output the result. (An HTTP function, requirements and retries:{' '}
        <code>canopy function create -f</code>.)
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
            Registered <Link href={`/functions/${register.data.id}`}>{name}</Link>.
          </p>
        ) : null}
      </div>
    </form>
  );
}
