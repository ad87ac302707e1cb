import type { CanopyClient } from '@canopy/client';
import { createContext, useContext } from 'react';

export interface Session {
  readonly client: CanopyClient;
  signOut(reason?: string): void;
}

export const SessionContext = createContext<Session | undefined>(undefined);

/** The signed-in session; only pages behind the sign-in use it. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (session === undefined) throw new Error('useSession outside a signed-in page');
  return session;
}
