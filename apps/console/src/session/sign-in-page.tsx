import type { CanopyClient } from '@canopy/client';
import { useState } from 'react';
import type { FormEvent } from 'react';
import { PageHeading } from '../layout/page-heading.js';
import { problemText } from '../layout/problem-text.js';
import { signIn } from './console-session.js';

export function SignInPage(props: {
  readonly notice: string | undefined;
  readonly onSignedIn: (client: CanopyClient) => void;
}) {
  const [apiKey, setApiKey] = useState('');
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const client = await signIn(apiKey.trim());
      setApiKey('');
      props.onSignedIn(client);
    } catch (error) {
      setProblem(problemText(error));
      setBusy(false);
    }
  };

  return (
    <main id="main" className="sign-in">
      <PageHeading title="Sign in to Canopy" />
      {props.notice === undefined ? null : (
        <p className="notice" role="status">
          {props.notice}
        </p>
      )}
      <form onSubmit={(event) => void submit(event)} aria-describedby="sign-in-help">
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          value={apiKey}
          onChange={(event) => setApiKey(event.target.value)}
          aria-invalid={problem === undefined ? undefined : true}
          aria-errormessage={problem === undefined ? undefined : 'sign-in-problem'}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {problem === undefined ? null : (
          <p id="sign-in-problem" className="problem" role="alert">
            {problem}
          </p>
        )}
      </form>
      <p id="sign-in-help" className="help">
        The key (<code>cnpy_…</code>) is exchanged for an access token and kept in this tab's memory
        only, never stored; signing out forgets it. An operator creates an account and its first key
        with <code>npx canopy account create --name NAME</code>.
      </p>
    </main>
  );
}
