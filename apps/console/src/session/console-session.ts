import { CanopyClient } from '@canopy/client';
import type { AccessToken } from '@canopy/client';

// Signing in to the console: the API key is exchanged for an access token (POST /v1/auth/apiKey),
// as the CLI does. The key stays in this page's memory only, to get a new token when one expires;
// the token is kept in sessionStorage (this tab, until it closes), so a reload does not sign out.
// Nothing is ever written to localStorage or a cookie; signing out forgets both.

const TOKEN_STORAGE_KEY = 'canopy.console.accessToken';
/** A kept token this close to its expiry is not worth resuming with. */
const RESUME_MARGIN_MS = 30_000;

/** The API is the gateway that serves the console. */
function apiBaseUrl(): string {
  return window.location.origin;
}

export async function signIn(apiKey: string): Promise<CanopyClient> {
  const client = new CanopyClient({ baseUrl: apiBaseUrl(), apiKey, onAccessToken: keepToken });
  await client.signIn();
  return client;
}

/** A client on the token this tab kept, while it is valid; without the key, it cannot renew it. */
export function resumedSession(): CanopyClient | undefined {
  const token = keptToken();
  if (token === undefined || token.expiresAt - RESUME_MARGIN_MS <= Date.now()) {
    forgetSession();
    return undefined;
  }
  return new CanopyClient({ baseUrl: apiBaseUrl(), accessToken: token });
}

export function forgetSession(): void {
  window.sessionStorage.removeItem(TOKEN_STORAGE_KEY);
}

function keepToken(token: AccessToken): void {
  window.sessionStorage.setItem(TOKEN_STORAGE_KEY, JSON.stringify(token));
}

function keptToken(): AccessToken | undefined {
  const text = window.sessionStorage.getItem(TOKEN_STORAGE_KEY);
  if (text === null) return undefined;
  try {
    const value = JSON.parse(text) as Partial<AccessToken>;
    return typeof value.token === 'string' && typeof value.expiresAt === 'number'
      ? { token: value.token, expiresAt: value.expiresAt }
      : undefined;
  } catch {
    return undefined;
  }
}
