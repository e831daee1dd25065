// The SPA, scripted: what a browser app (MSAL.js, oidc-client-ts) does, with openid-client for the
// protocol and a small cookie-keeping user agent for the provider's pages.

import * as oidc from 'openid-client';

/** A scripted browser: cookies and redirects, enough for the provider's login and logout pages. */
export class UserAgent {
  readonly #jar = new Map<string, string>();

  /** Follows redirects from `url`; stops before a URL starting with `stopAt` and returns it. */
  async navigate(
    url: string,
    init: { method?: string; form?: Record<string, string>; stopAt?: string } = {},
  ): Promise<{ response?: Response; redirectedTo?: string }> {
    let next = url;
    let method = init.method ?? 'GET';
    let body = init.form === undefined ? undefined : new URLSearchParams(init.form).toString();
    for (let hop = 0; hop < 20; hop++) {
      if (init.stopAt !== undefined && next.startsWith(init.stopAt)) return { redirectedTo: next };
      const headers: Record<string, string> = {
        cookie: [...this.#jar].map(([k, v]) => `${k}=${v}`).join('; '),
      };
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await fetch(next, {
        method,
        headers,
        redirect: 'manual',
        ...(body === undefined ? {} : { body }),
      });
      for (const line of response.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        const value = pair.slice(eq + 1).trim();
        if (value === '' || /expires=[^;]*1970/i.test(line)) this.#jar.delete(pair.slice(0, eq).trim());
        else this.#jar.set(pair.slice(0, eq).trim(), value);
      }
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null) return { response };
      await response.body?.cancel();
      next = new URL(location, next).href;
      method = 'GET';
      body = undefined;
    }
    throw new Error('Too many redirects.');
  }
}

export interface SpaOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly apiAudience: string;
  readonly apiScope: string;
}

/** The SPA's session at the provider: its browser, and the tokens of its last login. */
export class Spa {
  readonly browser = new UserAgent();
  accessToken = '';
  idToken = '';
  readonly #options: SpaOptions;

  constructor(options: SpaOptions) {
    this.#options = options;
  }

  /** Authorization code + PKCE (a public client: no secret), then the code exchanged for tokens. */
  async login(): Promise<void> {
    const o = this.#options;
    const config = await oidc.discovery(new URL(o.issuer), o.clientId, undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests], // the local stand-in speaks http
    });
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const authorize = oidc.buildAuthorizationUrl(config, {
      redirect_uri: o.redirectUri,
      scope: `openid ${o.apiScope}`,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      resource: o.apiAudience,
      state,
    });
    const { redirectedTo } = await this.browser.navigate(authorize.href, { stopAt: o.redirectUri });
    if (redirectedTo === undefined) throw new Error('The provider did not redirect back to the SPA.');
    const tokens = await oidc.authorizationCodeGrant(
      config,
      new URL(redirectedTo),
      { pkceCodeVerifier: codeVerifier, expectedState: state },
      { resource: o.apiAudience },
    );
    this.accessToken = tokens.access_token;
    this.idToken = tokens.id_token ?? '';
  }

  /** Calls the API with the access token. */
  callApi(apiUrl: string, path: string, method = 'GET'): Promise<Response> {
    return fetch(`${apiUrl}${path}`, { method, headers: { authorization: `Bearer ${this.accessToken}` } });
  }

  /** Signs out at the provider (RP-initiated logout); the provider then calls the API's back-channel endpoint. */
  async logoutAtProvider(): Promise<void> {
    const { issuer } = this.#options;
    const { response } = await this.browser.navigate(
      `${issuer}/session/end?id_token_hint=${encodeURIComponent(this.idToken)}`,
    );
    const xsrf = /name="xsrf" value="([^"]+)"/.exec((await response?.text()) ?? '')?.[1];
    if (xsrf === undefined) throw new Error('The provider showed no sign-out form.');
    const done = await this.browser.navigate(`${issuer}/session/end/confirm`, {
      method: 'POST',
      form: { xsrf, logout: 'yes' },
    });
    await done.response?.body?.cancel();
  }
}
