import { type ClientEnvironment, type ResolvedEnvironment, resolveEnvironment } from './environment.js';
import { isClientError, RevocableClientError } from './errors.js';
import { grantOf, problemOf, withBearer } from './http.js';
import type { ServerErrorCode } from './server-codes.js';
import { SingleFlightRefresh } from './single-flight-refresh.js';
import type { Grant, SignOutReason, TabMessage } from './tab-channel.js';

/**
 * Settings of {@link RevocableClient}. Every one has a default that fits a page served by the service.
 *
 * @example
 * ```ts
 * // The service on the page's origin; the token may also go to an API that answers CORS itself.
 * const auth = new RevocableClient({
 *   apiOrigins: [location.origin, 'https://api.example.com'],
 *   name: 'shop',
 * });
 * ```
 */
export interface RevocableClientOptions {
  /**
   * The service's base URL. Default: this page's origin. The refresh cookie is `__Host-` and
   * `SameSite=Strict` and the service answers no CORS, so the service must share the page's origin
   * (a dev-server proxy, or one reverse proxy in production).
   */
  readonly baseUrl?: string;
  /** Origins the fetch wrapper may send the access token to. Default: the origin of `baseUrl`. */
  readonly apiOrigins?: readonly string[];
  /** Shared by the tabs of one app: names the lock, the channel and the storage keys. Default `revocable`. */
  readonly name?: string;
  /** Refresh this long before the token expires (capped at a third of its lifetime). Default 15 000 ms. */
  readonly refreshLeewayMs?: number;
  /** The 401 error codes after which the fetch wrapper refreshes once and retries. Default `['ERR_TOKEN_EXPIRED']`. */
  readonly retryOn?: readonly string[];
  /** How long `restore()` waits for another tab to share its token before refreshing. Default 150 ms. */
  readonly peerWaitMs?: number;
  /** Browser facilities, for tests and unusual hosts. */
  readonly environment?: ClientEnvironment;
}

/**
 * Where the session stands in this tab. `unknown` until the first login, restore or refresh: the
 * refresh cookie may or may not be there (it is HttpOnly, so only the service can tell).
 *
 * @example
 * ```ts
 * const state: SessionState = auth.getState();
 * if (state.status === 'signed-out' && state.byOtherTab) toast('You logged out in another tab.');
 * ```
 */
export type SessionState =
  | { readonly status: 'unknown' }
  | { readonly status: 'signed-in'; readonly sessionId: string | null; readonly expiresAt: number }
  | { readonly status: 'signed-out'; readonly reason: SignOutReason; readonly byOtherTab: boolean };

const UNKNOWN: SessionState = Object.freeze({ status: 'unknown' });

/**
 * The browser side of a Revocable session. The access token lives in this object's memory only; the
 * refresh token in the service's `__Host-` HttpOnly cookie, sent only to `/auth/refresh` with the
 * `X-Revocable-CSRF` header. Refreshes are single-flight across tabs (Web Locks, or a localStorage
 * lease without them) and a tab that finds another tab already refreshed takes its token over
 * BroadcastChannel instead of rotating again. Logging out in one tab logs out every tab.
 *
 * @example
 * ```ts
 * const auth = new RevocableClient(); // the service on this page's origin
 * if (!(await auth.restore())) await auth.login('ada', 'correct horse battery');
 * const me = await auth.fetch('/api/me').then((r) => r.json());
 * auth.subscribe(() => console.log(auth.getState().status));
 * await auth.logout(); // every tab of the app is signed out
 * ```
 */
export class RevocableClient {
  readonly #base: URL;
  readonly #origins: ReadonlySet<string>;
  readonly #leewayMs: number;
  readonly #retryOn: ReadonlySet<string>;
  readonly #peerWaitMs: number;
  readonly #env: ResolvedEnvironment;
  readonly #id = Math.random().toString(36).slice(2);
  readonly #refresh: SingleFlightRefresh;
  readonly #listeners = new Set<() => void>();
  readonly #grantWaiters = new Set<() => void>();
  readonly #unsubscribe: () => void;
  #grant: Grant | null = null;
  #state: SessionState = UNKNOWN;

  constructor(options: RevocableClientOptions = {}) {
    const here = (globalThis as { location?: { href: string } }).location?.href;
    if (options.baseUrl === undefined && here === undefined)
      throw new TypeError('baseUrl is required outside a browser page.');
    this.#base = new URL(options.baseUrl ?? '/', here);
    this.#origins = new Set(options.apiOrigins ?? [this.#base.origin]);
    this.#leewayMs = options.refreshLeewayMs ?? 15_000;
    this.#retryOn = new Set(options.retryOn ?? ['ERR_TOKEN_EXPIRED']);
    this.#peerWaitMs = options.peerWaitMs ?? 150;
    const name = options.name ?? 'revocable';
    this.#env = resolveEnvironment(name, options.environment);
    this.#refresh = new SingleFlightRefresh({
      lock: this.#env.lock,
      storage: this.#env.storage,
      markerKey: `${name}:rotated`,
      current: () => this.#usableGrant(),
      waitForGrant: (stale, ms) => this.#waitForGrant(stale, ms),
      rotate: () => this.#rotate(),
    });
    this.#unsubscribe = this.#env.channel.subscribe((message) => this.#onTabMessage(message));
  }

  /** The session state now; a new object only when it changed (fit for React's `useSyncExternalStore`). */
  readonly getState = (): SessionState => this.#state;

  /** Calls `listener` on every state change; returns the function that stops it. */
  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /** Creates a built-in user (`POST /auth/register`). Does not sign in. */
  async register(username: string, password: string): Promise<{ id: string; username: string }> {
    const response = await this.#post('/auth/register', { username, password });
    if (response.status !== 201) throw await loginError(response, 'Registration');
    return (await response.json()) as { id: string; username: string };
  }

  /** Signs in (`POST /auth/login` in cookie mode) and shares the access token with the other tabs. */
  async login(username: string, password: string): Promise<SessionState> {
    const response = await this.#post('/auth/login', { username, password, cookie: true });
    if (!response.ok) throw await loginError(response, 'Login');
    this.#accept(await grantOf(response, this.#env.now()), true);
    return this.#state;
  }

  /**
   * Picks up an existing session after a page load: the token of another open tab if one answers
   * within `peerWaitMs`, else a refresh through the cookie. Resolves `false` when there is no session.
   */
  async restore(): Promise<boolean> {
    try {
      await this.#obtain(true);
      return true;
    } catch (err) {
      if (isClientError(err, 'ERR_SIGNED_OUT')) return false;
      throw err;
    }
  }

  /**
   * A usable access token, refreshed (single-flight across tabs) when it is missing or about to
   * expire. Rejects with `ERR_SIGNED_OUT` when there is no session. For HTTP clients other than
   * `fetch` (Angular's `HttpClient`, axios).
   */
  accessToken(): Promise<string> {
    return this.#obtain(false).then((grant) => grant.token);
  }

  /**
   * Rotates now, even if the token is still fresh — unless another tab rotates while this call waits
   * for the lock, in which case its token is used: tabs that refresh at once cause one rotation.
   * Pass the token the service `rejected` (an HTTP client's retry after `ERR_TOKEN_EXPIRED`): when
   * this tab already holds a newer one, it is returned without any rotation.
   */
  async refresh(rejected?: string): Promise<string> {
    if (this.#state.status === 'signed-out') throw signedOut(this.#state.reason);
    const held = this.#usableGrant();
    if (rejected !== undefined && held !== null && held.token !== rejected) return held.token;
    return (await this.#refresh.refresh(rejected ?? this.#grant?.token ?? null)).token;
  }

  /**
   * `fetch` with the access token. Requests to other origins than `apiOrigins` go out untouched. On a
   * 401 whose code is in `retryOn` (by default `ERR_TOKEN_EXPIRED`) it refreshes once and retries;
   * on `ERR_TOKEN_REVOKED` it drops the token (the next call refreshes, or finds the session ended).
   * Rejects with `ERR_SIGNED_OUT` when there is no session.
   */
  async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const request = new Request(input instanceof URL ? input.href : input, init);
    if (!this.#origins.has(new URL(request.url).origin)) return this.#env.fetch(request);
    const grant = await this.#obtain(false);
    const again = request.clone();
    const first = await this.#env.fetch(withBearer(request, grant.token));
    if (first.status !== 401) return first;
    const { code } = await problemOf(first);
    if (code === 'ERR_TOKEN_REVOKED' && this.#grant?.token === grant.token) this.#grant = null;
    if (code === undefined || !this.#retryOn.has(code)) return first;
    const next = await this.#refresh.refresh(grant.token);
    return this.#env.fetch(withBearer(again, next.token));
  }

  /** Ends this session at the service (`POST /auth/logout`) and signs out every tab. */
  async logout(): Promise<void> {
    await this.#endSession('/auth/logout', 'logout');
  }

  /** Ends every session of the user (`POST /auth/logout-all`), on every device; returns how many ended. */
  async logoutEverywhere(): Promise<number> {
    const body = (await this.#endSession('/auth/logout-all', 'logout-everywhere')) as {
      ended_sessions?: number;
    } | null;
    return body?.ended_sessions ?? 0;
  }

  /** Stops listening to the other tabs (for tests and hot reload). */
  close(): void {
    this.#unsubscribe();
    this.#env.channel.close();
  }

  async #obtain(askPeers: boolean): Promise<Grant> {
    const held = this.#usableGrant();
    if (held) return held;
    if (this.#state.status === 'signed-out' && !askPeers) throw signedOut(this.#state.reason);
    if (askPeers || this.#state.status === 'unknown') {
      this.#env.channel.post({ type: 'token-request', from: this.#id });
      const shared = await this.#waitForGrant(null, this.#peerWaitMs);
      if (shared) return shared;
    }
    return this.#refresh.refresh(this.#grant?.token ?? null);
  }

  #usableGrant(): Grant | null {
    const grant = this.#grant;
    if (grant === null) return null;
    const leeway = Math.min(this.#leewayMs, (grant.expiresAt - grant.issuedAt) / 3);
    return grant.expiresAt - leeway > this.#env.now() ? grant : null;
  }

  #waitForGrant(stale: string | null, ms: number): Promise<Grant | null> {
    const ready = () => {
      const grant = this.#usableGrant();
      return grant !== null && grant.token !== stale ? grant : null;
    };
    const now = ready();
    if (now || ms <= 0) return Promise.resolve(now);
    return new Promise((resolve) => {
      const check = () => {
        const grant = ready();
        if (grant) done(grant);
      };
      const done = (grant: Grant | null) => {
        clearTimeout(timer);
        this.#grantWaiters.delete(check);
        resolve(grant);
      };
      const timer = setTimeout(() => done(null), ms);
      this.#grantWaiters.add(check);
    });
  }

  async #rotate(): Promise<Grant> {
    let response: Response;
    try {
      response = await this.#env.fetch(new URL('auth/refresh', this.#baseDir()).href, {
        method: 'POST',
        credentials: 'include',
        headers: { 'X-Revocable-CSRF': '1' },
      });
    } catch (cause) {
      throw new RevocableClientError('ERR_REFRESH_FAILED', 'The refresh request did not reach the service.', {
        cause,
      });
    }
    if (response.ok) {
      const grant = await grantOf(response, this.#env.now());
      this.#accept(grant, true);
      return grant;
    }
    const { code, message } = await problemOf(response);
    if (code === 'ERR_REFRESH_TOKEN_INVALID' || code === 'ERR_REFRESH_TOKEN_REUSED') {
      const wasIn = this.#state.status === 'signed-in';
      this.#signOut(wasIn ? 'session-ended' : 'not-signed-in', false, wasIn);
      throw signedOut(wasIn ? 'session-ended' : 'not-signed-in', response.status, code);
    }
    throw new RevocableClientError('ERR_REFRESH_FAILED', `Refresh failed: ${message ?? response.status}`, {
      status: response.status,
      ...(code !== undefined && { serverCode: code }),
    });
  }

  async #endSession(path: string, reason: SignOutReason): Promise<unknown> {
    let token: string | null = null;
    try {
      token = (await this.#obtain(false)).token;
    } catch (err) {
      if (!isClientError(err, 'ERR_SIGNED_OUT')) throw err;
    }
    let response: Response | undefined;
    let failure: unknown;
    if (token !== null) {
      try {
        response = await this.#env.fetch(new URL(path.slice(1), this.#baseDir()).href, {
          method: 'POST',
          credentials: 'include',
          headers: { Authorization: `Bearer ${token}` },
        });
      } catch (cause) {
        failure = cause;
      }
    }
    this.#signOut(reason, false, true);
    if (failure !== undefined || (response && !response.ok && response.status !== 401)) {
      throw new RevocableClientError(
        'ERR_REQUEST_FAILED',
        `${path} failed; the session may still be alive.`,
        {
          ...(response && { status: response.status }),
          cause: failure,
        },
      );
    }
    return response?.status === 200 ? response.json().catch(() => null) : null;
  }

  #onTabMessage(message: TabMessage): void {
    if (message.from === this.#id) return;
    if (message.type === 'token') this.#accept(message.grant, false);
    else if (message.type === 'logout') this.#signOut(message.reason, true, false);
    else {
      const grant = this.#usableGrant();
      if (grant) this.#env.channel.post({ type: 'token', from: this.#id, grant });
    }
  }

  #accept(grant: Grant, share: boolean): void {
    if (!share && this.#grant !== null && grant.expiresAt < this.#grant.expiresAt) return;
    this.#grant = grant;
    if (share) this.#env.channel.post({ type: 'token', from: this.#id, grant });
    this.#setState({ status: 'signed-in', sessionId: grant.sessionId, expiresAt: grant.expiresAt });
    for (const check of [...this.#grantWaiters]) check();
  }

  #signOut(reason: SignOutReason, byOtherTab: boolean, broadcast: boolean): void {
    this.#grant = null;
    if (broadcast) this.#env.channel.post({ type: 'logout', from: this.#id, reason });
    this.#setState({ status: 'signed-out', reason, byOtherTab });
  }

  #setState(next: SessionState): void {
    this.#state = next;
    for (const listener of [...this.#listeners]) listener();
  }

  /** The base URL as a directory, so `auth/refresh` resolves under a path prefix too. */
  #baseDir(): URL {
    return new URL(this.#base.pathname.endsWith('/') ? this.#base.href : `${this.#base.href}/`);
  }

  #post(path: string, body: unknown): Promise<Response> {
    return this.#env.fetch(new URL(path.slice(1), this.#baseDir()).href, {
      method: 'POST',
      credentials: 'include',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
  }
}

function signedOut(
  reason: SignOutReason,
  status?: number,
  serverCode?: ServerErrorCode,
): RevocableClientError {
  return new RevocableClientError('ERR_SIGNED_OUT', `Not signed in (${reason}).`, {
    ...(status !== undefined && { status }),
    ...(serverCode !== undefined && { serverCode }),
  });
}

async function loginError(response: Response, what: string): Promise<RevocableClientError> {
  const { code, message } = await problemOf(response);
  return new RevocableClientError('ERR_LOGIN_FAILED', `${what} failed: ${message ?? response.status}`, {
    status: response.status,
    ...(code !== undefined && { serverCode: code }),
  });
}
