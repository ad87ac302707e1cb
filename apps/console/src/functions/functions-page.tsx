import { requirementsText } from '@canopy/client';
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { Link } from 'wouter';
import { allFunctions } from '../api/api-reads.js';
import { PageHeading } from '../layout/page-heading.js';
import { QueryStatus } from '../layout/query-status.js';
import { UnixTime } from '../layout/times.js';
import { useSession } from '../session/session-context.js';
import { RegisterFunctionForm } from './register-function-form.js';

export function FunctionsPage() {
  const { client } = useSession();
  const id = useId();
  const functions = useQuery({
    queryKey: ['functions'],
    queryFn: ({ signal }) => allFunctions(client, signal),
    refetchInterval: 10_000,
  });
  return (
    <>
      <PageHeading title="Functions" />
      <section aria-labelledby={`${id}-list`}>
        <h2 id={`${id}-list`}>The account's functions</h2>
        <QueryStatus isPending={functions.isPending} error={functions.error} what="the functions" />
        {functions.data === undefined ? null : functions.data.length === 0 ? (
          <p>No function yet: register one below.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Runtime</th>
                <th scope="col">Needs</th>
                <th scope="col">Timeout</th>
                <th scope="col">Version</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {functions.data.map((fn) => (
                <tr key={fn.id}>
                  <th scope="row">
                    <Link href={`/functions/${fn.id}`}>{fn.name}</Link>
                  </th>
                  <td>{fn.runtime.kind}</td>
                  <td>{requirementsText(fn.capabilities)}</td>
                  <td>{fn.capabilities.timeout} s</td>
                  <td>{fn.version}</td>
                  <td>
                    <UnixTime value={fn.created} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <RegisterFunctionForm />
    </>
  );
}
