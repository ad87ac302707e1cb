import createClient from 'openapi-fetch';
import { CanopyApiError } from './canopy-api-error.js';
import type { paths } from './generated/canopy-api.js';

/** An access token and when it expires (milliseconds since the epoch). */
export interface AccessToken {
  readonly token: string;
  readonly expiresAt: number;
}

/** A token this close to its expiry is replaced before it is used. */
const REFRESH_MARGIN_MS = 30_000;

export interface AccessTokenSourceOptions {
  readonly baseUrl: string;
  readonly apiKey?: string;
  readonly accessToken?: AccessToken;
  readonly onAccessToken?: (token: AccessToken) => void | Promise<void>;
  readonly fetch: (request: Request) => Promise<Response>;
  readonly now: () => number;
}

// Holds the current access token: exchanges the API key for one when there is none, when it is about
// to expire, or when the API refused it; concurrent callers share one exchange.
export class AccessTokenSource {
  private current: AccessToken | undefined;
  private exchange: Promise<AccessToken> | undefined;
  private readonly keyExchange;

  constructor(private readonly options: AccessTokenSourceOptions) {
    this.current = options.accessToken;
    this.keyExchange = createClient<paths>({ baseUrl: options.baseUrl, fetch: options.fetch });
  }

  get canRefresh(): boolean {
    return this.options.apiKey !== undefined;
  }

  /** A token valid for a while yet; undefined when the client has neither a key nor a token. */
  async valid(): Promise<string | undefined> {
    const current = this.current;
    if (current !== undefined && current.expiresAt - REFRESH_MARGIN_MS > this.options.now()) {
      return current.token;
    }
    if (!this.canRefresh) return current?.token;
    return (await this.renew()).token;
  }

  /** Exchanges the API key for a new token (once for all callers waiting meanwhile). */
  renew(): Promise<AccessToken> {
    this.exchange ??= this.exchangeKey().finally(() => {
      this.exchange = undefined;
    });
    return this.exchange;
  }

  private async exchangeKey(): Promise<AccessToken> {
    const key = this.options.apiKey;
    if (key === undefined) {
      throw new CanopyApiError(401, 'UNAUTHORIZED', 'no API key to sign in with');
    }
    const { data, error, response } = await this.keyExchange.POST('/v1/auth/apiKey', {
      body: { key },
    });
    if (data === undefined) throw CanopyApiError.of(response, error);
    const token = {
      token: data.accessToken,
      expiresAt: this.options.now() + data.expiresIn * 1000,
    };
    this.current = token;
    await this.options.onAccessToken?.(token);
    return token;
  }
}
