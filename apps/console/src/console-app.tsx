import type { CanopyClient } from '@canopy/client';
import { CanopyApiError } from '@canopy/client';
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { useCallback, useMemo, useRef, useState } from 'react';
import { Redirect, Route, Router, Switch } from 'wouter';
import { useHashLocation } from 'wouter/use-hash-location';
import { FunctionPage } from './functions/function-page.js';
import { FunctionsPage } from './functions/functions-page.js';
import { ConsoleLayout } from './layout/console-layout.js';
import { NotFoundPage } from './layout/not-found-page.js';
import { MetricsPage } from './metrics/metrics-page.js';
import { NodesPage } from './nodes/nodes-page.js';
import { SchedulesPage } from './schedules/schedules-page.js';
import { forgetSession, resumedSession } from './session/console-session.js';
import { SessionContext } from './session/session-context.js';
import type { Session } from './session/session-context.js';
import { SignInPage } from './session/sign-in-page.js';
import { TaskPage } from './tasks/task-page.js';
import { TasksPage } from './tasks/tasks-page.js';

const SESSION_ENDED = 'Your session has ended: sign in again.';

/**
 * The console: the sign-in page until an API key was exchanged for a token, then the pages, routed by
 * the URL's hash (`/console/#/tasks/…`), so the gateway serves one page for all of them.
 */
export function ConsoleApp() {
  const [client, setClient] = useState<CanopyClient | undefined>(resumedSession);
  const [notice, setNotice] = useState<string | undefined>(undefined);
  const signOutRef = useRef<(reason?: string) => void>(() => undefined);
  const queryClient = useMemo(() => {
    // The API refusing the token (401) ends the session: a token kept without its key cannot be
    // renewed, and one whose key was revoked is no use either.
    const onError = (error: unknown) => {
      if (error instanceof CanopyApiError && error.status === 401)
        signOutRef.current(SESSION_ENDED);
    };
    return new QueryClient({
      queryCache: new QueryCache({ onError }),
      mutationCache: new MutationCache({ onError }),
      defaultOptions: {
        queries: {
          // The API's refusals are answers, not accidents: only a failure to reach it is retried.
          retry: (failures, error) => !(error instanceof CanopyApiError) && failures < 2,
          refetchOnWindowFocus: true,
        },
      },
    });
  }, []);

  const signOut = useCallback(
    (reason?: string) => {
      forgetSession();
      // Nothing of the account stays in the page: its cached answers go with the client and its key.
      queryClient.clear();
      setClient(undefined);
      setNotice(reason);
    },
    [queryClient],
  );
  signOutRef.current = signOut;

  const session = useMemo<Session | undefined>(
    () => (client === undefined ? undefined : { client, signOut }),
    [client, signOut],
  );

  return (
    <QueryClientProvider client={queryClient}>
      <Router hook={useHashLocation}>
        {session === undefined ? (
          <SignInPage
            notice={notice}
            onSignedIn={(signedIn) => {
              setNotice(undefined);
              setClient(signedIn);
            }}
          />
        ) : (
          <SessionContext.Provider value={session}>
            <ConsoleLayout>
              <Switch>
                <Route path="/">
                  <Redirect to="/tasks" replace />
                </Route>
                <Route path="/tasks" component={TasksPage} />
                <Route path="/tasks/:id">{(params) => <TaskPage taskId={params.id} />}</Route>
                <Route path="/functions" component={FunctionsPage} />
                <Route path="/functions/:id">
                  {(params) => <FunctionPage functionId={params.id} />}
                </Route>
                <Route path="/nodes" component={NodesPage} />
                <Route path="/schedules" component={SchedulesPage} />
                <Route path="/metrics" component={MetricsPage} />
                <Route component={NotFoundPage} />
              </Switch>
            </ConsoleLayout>
          </SessionContext.Provider>
        )}
      </Router>
    </QueryClientProvider>
  );
}
