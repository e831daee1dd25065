import * as oidc from 'openid-client';

/** A scripted browser: a cookie jar and manual redirect following, enough to drive an OP's login and logout pages. */
export class UserAgent {
  readonly #jar = new Map<string, string>();

  /**
   * Requests `url` and follows redirects. Stops before fetching a URL that starts with `stopAt` (the
   * SPA's redirect URI) and returns it; otherwise returns the last response.
   */
  async navigate(
    url: string,
    init: { method?: string; form?: Record<string, string>; stopAt?: string } = {},
  ): Promise<{ response?: Response; redirectedTo?: string }> {
    let next = url;
    let method = init.method ?? 'GET';
    let body: string | undefined =
      init.form === undefined ? undefined : new URLSearchParams(init.form).toString();
    for (let hop = 0; hop < 20; hop++) {
      if (init.stopAt !== undefined && next.startsWith(init.stopAt)) return { redirectedTo: next };
      const headers: Record<string, string> = { cookie: this.#cookieHeader() };
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const response = await fetch(next, {
        method,
        headers,
        redirect: 'manual',
        ...(body === undefined ? {} : { body }),
      });
      this.#store(response);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || location === null) return { response };
      await response.body?.cancel();
      next = new URL(location, next).href;
      method = 'GET';
      body = undefined;
    }
    throw new Error('Too many redirects.');
  }

  #cookieHeader(): string {
    return [...this.#jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  #store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a));
      if (value === '' || expired) this.#jar.delete(name);
      else this.#jar.set(name, value);
    }
  }
}

/** What the SPA holds after a login. */
export interface SpaTokens {
  readonly accessToken: string;
  readonly idToken: string;
}

/**
 * The SPA's login: authorization code with PKCE for a public client (openid-client), the OP's pages
 * driven by `agent`, the code exchanged for an access token for `resource`.
 */
export async function loginWithPkce(
  agent: UserAgent,
  options: { issuer: string; clientId: string; redirectUri: string; resource: string; scope: string },
): Promise<SpaTokens> {
  const config = await oidc.discovery(new URL(options.issuer), options.clientId, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: options.redirectUri,
    scope: `openid ${options.scope}`,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    resource: options.resource,
    state,
  });
  const { redirectedTo } = await agent.navigate(url.href, { stopAt: options.redirectUri });
  if (redirectedTo === undefined) throw new Error('The OP did not redirect back to the SPA.');
  const tokens = await oidc.authorizationCodeGrant(
    config,
    new URL(redirectedTo),
    { pkceCodeVerifier: codeVerifier, expectedState: state },
    { resource: options.resource },
  );
  if (tokens.id_token === undefined) throw new Error('No ID token.');
  return { accessToken: tokens.access_token, idToken: tokens.id_token };
}

/**
 * RP-initiated logout at the OP (`end_session_endpoint` with `id_token_hint`, then the confirmation
 * form): the OP ends its session and, before answering, POSTs a logout token to every client of the
 * session that registered a back-channel logout URI.
 */
export async function logoutAtProvider(agent: UserAgent, issuer: string, idToken: string): Promise<void> {
  const { response } = await agent.navigate(
    `${issuer}/session/end?id_token_hint=${encodeURIComponent(idToken)}`,
  );
  const page = (await response?.text()) ?? '';
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
  if (xsrf === undefined) throw new Error('The OP showed no logout form.');
  const done = await agent.navigate(`${issuer}/session/end/confirm`, {
    method: 'POST',
    form: { xsrf, logout: 'yes' },
  });
  if (done.response?.status !== 200) throw new Error(`The OP's logout ended with ${done.response?.status}.`);
  await done.response.body?.cancel();
}
