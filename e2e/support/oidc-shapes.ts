// A real OpenID provider (oidc-provider) on 127.0.0.1, shaped like Entra ID v2, Auth0 or Keycloak:
// the issuer identifier, the access tokens' header and claims and lifetime, the logout tokens. Users
// sign in by a scripted code + PKCE login (no UI) of a public SPA client; the provider issues JWT access
// tokens for one API and POSTs back-channel logout tokens to a configurable URI. Test controls: key
// rotation, a JWKS endpoint that fails or hangs, sign-out at the provider.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors } from 'oidc-provider';
import * as oidc from 'openid-client';
import { UserAgent } from '../../packages/core/test/external/support/user-agent.js';
import { type Person, type ShapeName, type ShapeProfile, shapeProfile } from './oidc-shape-profiles.js';
import { ShapeStore } from './oidc-shape-store.js';

export type { ShapeName } from './oidc-shape-profiles.js';

/** The three shapes, for `describe.each`. */
export const SHAPES: readonly ShapeName[] = ['entra-v2', 'auth0', 'keycloak'];

export interface OidcShapeOptions {
  /** Where the provider POSTs logout tokens (the SPA client's `backchannel_logout_uri`). */
  readonly backchannelLogoutUri?: string;
  /** The SPA's redirect URI (default `http://127.0.0.1:5173/callback`; the scripted login stops there). */
  readonly redirectUri?: string;
  /** Where the provider sends the browser after its sign-out (`post_logout_redirect_uris`). */
  readonly postLogoutRedirectUri?: string;
  /** Auth0's access token lifetime (its default: 86,400 s); `maxTokenLifetimeSec` follows it. */
  readonly auth0LifetimeSec?: number;
  /** A fixed port (default: any free one). */
  readonly port?: number;
}

/** What the SPA holds after a login. */
export interface SignedIn {
  readonly account: string;
  readonly sub: string;
  readonly accessToken: string;
  readonly idToken: string;
  /** The browser the login ran in: its cookies are the user's session at the provider. */
  readonly agent: UserAgent;
}

/** One back-channel logout POST the provider made. */
export interface BackchannelDelivery {
  readonly uri: string;
  readonly logoutToken: string;
  /** The receiver's status, or `undefined` when the POST failed or was not sent (`deliver: false`). */
  readonly status: number | undefined;
}

/** How the JWKS endpoint answers: normally, 503, or not at all (the request hangs). */
export type JwksState = 'available' | 'unavailable' | 'hanging';

export interface OidcShape {
  readonly shape: ShapeName;
  /** The exact `iss` of its tokens (Auth0's with its trailing `/`). */
  readonly issuer: string;
  readonly discoveryUrl: string;
  readonly jwksUri: string;
  readonly clientId: string;
  /** The `aud` the API is configured with. */
  readonly audience: string;
  /** What the SPA asks for at the stand-in (`resource`, RFC 8707); Entra: the scope's `api://…` prefix. */
  readonly resource: string;
  readonly scope: string;
  readonly redirectUri: string;
  /** The longest access token this shape issues, in seconds. */
  readonly maxTokenLifetimeSec: number;
  /** The `kid` new tokens are signed with. */
  readonly currentKid: string;
  /** Requests to the JWKS endpoint so far (answered or not). */
  readonly jwksRequests: number;
  /** Every back-channel logout POST, in order. */
  readonly deliveries: readonly BackchannelDelivery[];
  /** The `sub` this provider gives `account`. */
  subjectOf(account: string): string;
  /**
   * Signs `account` in through the SPA's code + PKCE flow, in a new browser, or in the browser of
   * `again` (the provider's session is then reused: single sign-on, the same `sid`).
   */
  login(account: string, options?: { again?: SignedIn }): Promise<SignedIn>;
  /**
   * Signs the user out at the provider (RP-initiated logout in the browser of `session`, or of the
   * account's last login): the provider ends its session and POSTs a logout token to the back-channel
   * URI before answering. With `deliver: false` the logout token is captured and not sent.
   * Resolves with that sign-out's deliveries.
   */
  signOut(session: SignedIn | string, options?: { deliver?: boolean }): Promise<BackchannelDelivery[]>;
  /** A new signing key with a new `kid`; the old one leaves the JWKS unless `keepPrevious`. */
  rotateKeys(options?: { keepPrevious?: boolean }): Promise<string>;
  /** `false`: the JWKS endpoint answers 503 (or, with `'hang'`, never answers) until set back to `true`. */
  setJwksAvailable(available: boolean, failure?: 'status' | 'hang'): void;
  close(): Promise<void>;
}

interface SigningKey {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const members = { kid, alg: 'RS256', use: 'sig' };
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), ...members },
    publicJwk: { ...publicJwk, ...members },
  };
}

/** Keycloak's JWKS also lists the realm's encryption key (`use: enc`); an API must skip it. */
async function encryptionKey(): Promise<JWK> {
  const { publicKey } = await generateKeyPair('RSA-OAEP', { extractable: true });
  return { ...(await exportJWK(publicKey)), kid: 'enc-rsa-oaep', alg: 'RSA-OAEP', use: 'enc' };
}

const COOKIE_KEYS = ['oidc-shapes-cookie-key-for-tests-only'];

/**
 * Starts an OpenID provider shaped like `shape` on 127.0.0.1.
 *
 * @example
 * ```ts
 * const entra = await startOidcShape('entra-v2', { backchannelLogoutUri: `${service}/backchannel-logout/entra` });
 * const alice = await entra.login('alice');
 * await fetch(`${api}/me`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
 * await entra.signOut(alice); // the provider POSTs a logout token to the service
 * await entra.close();
 * ```
 */
export async function startOidcShape(shape: ShapeName, options: OidcShapeOptions = {}): Promise<OidcShape> {
  const profile = shapeProfile(shape, options.auth0LifetimeSec);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = profile.issuerFor(origin);
  const mount = new URL(issuer).pathname.replace(/\/$/, '');
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:5173/callback';
  const jwksPath = `${mount}${profile.routes['jwks'] ?? '/jwks'}`;

  const state = {
    keys: [await newSigningKey()],
    extraKeys: shape === 'keycloak' ? [await encryptionKey()] : [],
    people: new Map<string, Person>(),
    deliver: true,
    jwks: 'available' as JwksState,
    jwksRequests: 0,
    lastLogin: new Map<string, SignedIn>(),
    deliveries: [] as BackchannelDelivery[],
    store: new ShapeStore(),
  };
  const person = (sub: string): Person => state.people.get(sub) ?? { account: sub, sub };

  const build = () =>
    buildProvider({
      profile,
      issuer,
      mount,
      redirectUri,
      options,
      state,
      person,
    });
  let provider = build();
  let handle = provider.callback();

  const hanging = new Set<ServerResponse>();
  const interaction = async (req: IncomingMessage, res: ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    // The scripted login page: whoever login_hint names is signed in (and consents), no questions asked.
    const account = String(details.params['login_hint'] ?? 'alice');
    const sub = profile.subjectOf(account, issuer);
    state.people.set(sub, { account, sub });
    const grant =
      (details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId)) ??
      new provider.Grant({ accountId: sub, clientId: profile.clientId });
    grant.addOIDCScope('openid');
    grant.addResourceScope(profile.resource, profile.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: sub }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  };
  server.on('request', (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path === jwksPath) {
      state.jwksRequests++;
      if (state.jwks === 'hanging') {
        hanging.add(res);
        res.once('close', () => hanging.delete(res));
        return;
      }
      if (state.jwks === 'unavailable') {
        res.writeHead(503, { 'content-type': 'text/plain' }).end('JWKS unavailable (test control)');
        return;
      }
      // Served here rather than by oidc-provider, which refuses keys it has no use for (Keycloak's enc key).
      const keys = [...state.keys.map((k) => k.publicJwk), ...state.extraKeys];
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys }));
      return;
    }
    if (path.startsWith(`${mount}/interaction/`)) {
      interaction(req, res).catch((err: unknown) => res.writeHead(500).end(String(err)));
      return;
    }
    if (!path.startsWith(`${mount}/`) && path !== mount) return void res.writeHead(404).end();
    // oidc-provider mounted below the issuer's path: it reads the mount from originalUrl.
    const url = req.url ?? '/';
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = url.slice(mount.length) || '/';
    handle(req, res);
  });

  const metadata = async () => {
    const response = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
    return (await response.json()) as { end_session_endpoint: string; jwks_uri: string };
  };
  const jwksUri = (await metadata()).jwks_uri;

  const signOut: OidcShape['signOut'] = async (session, { deliver = true } = {}) => {
    const signedIn = typeof session === 'string' ? state.lastLogin.get(session) : session;
    if (signedIn === undefined) throw new Error(`No login of ${String(session)} to sign out.`);
    const before = state.deliveries.length;
    state.deliver = deliver;
    try {
      await signOutInBrowser(signedIn.agent, (await metadata()).end_session_endpoint, profile.clientId);
    } finally {
      state.deliver = true;
    }
    return state.deliveries.slice(before);
  };

  return {
    shape,
    issuer,
    discoveryUrl: `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`,
    jwksUri,
    clientId: profile.clientId,
    audience: profile.audience,
    resource: profile.resource,
    scope: profile.scope,
    redirectUri,
    maxTokenLifetimeSec: profile.maxTokenLifetimeSec,
    get currentKid() {
      return state.keys.at(-1)!.kid;
    },
    get jwksRequests() {
      return state.jwksRequests;
    },
    deliveries: state.deliveries,
    subjectOf: (account) => profile.subjectOf(account, issuer),
    async login(account, { again } = {}) {
      const agent = again?.agent ?? new UserAgent();
      const tokens = await codeFlowWithPkce(agent, issuer, profile, redirectUri, account).catch(
        (err: unknown) => {
          throw new Error(`Login of ${account} at the ${shape} stand-in failed`, { cause: err });
        },
      );
      const signedIn = { account, sub: profile.subjectOf(account, issuer), ...tokens, agent };
      state.lastLogin.set(account, signedIn);
      return signedIn;
    },
    signOut,
    async rotateKeys({ keepPrevious = false } = {}) {
      const next = await newSigningKey();
      state.keys = keepPrevious ? [...state.keys, next] : [next];
      provider = build();
      handle = provider.callback();
      return next.kid;
    },
    setJwksAvailable(available, failure = 'status') {
      state.jwks = available ? 'available' : failure === 'hang' ? 'hanging' : 'unavailable';
      if (available) for (const res of hanging) res.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * RP-initiated logout in the user's browser: the provider's end-session page, then its confirmation
 * form. `client_id` rather than `id_token_hint`: a hint signed with a key rotated away would be refused.
 */
async function signOutInBrowser(agent: UserAgent, endSession: string, clientId: string): Promise<void> {
  const start = `${endSession}?client_id=${encodeURIComponent(clientId)}`;
  const { response } = await agent.navigate(start);
  const page = (await response?.text()) ?? '';
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
  const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
  if (xsrf === undefined || action === undefined) throw new Error('The provider showed no sign-out form.');
  const done = await agent.navigate(new URL(action.replaceAll('&amp;', '&'), start).href, {
    method: 'POST',
    form: { xsrf, logout: 'yes' },
  });
  await done.response?.body?.cancel();
}

/**
 * The SPA's login: authorization code with PKCE for a public client (openid-client), the provider's
 * pages driven by `agent`; `login_hint` tells the scripted login page whom to sign in.
 */
async function codeFlowWithPkce(
  agent: UserAgent,
  issuer: string,
  profile: ShapeProfile,
  redirectUri: string,
  account: string,
): Promise<{ accessToken: string; idToken: string }> {
  const config = await oidc.discovery(new URL(issuer), profile.clientId, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests], // the stand-in speaks http on loopback
  });
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: `openid ${profile.scope}`,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    resource: profile.resource,
    login_hint: account,
    state,
  });
  const { redirectedTo } = await agent.navigate(url.href, { stopAt: redirectUri });
  if (redirectedTo === undefined) throw new Error('The provider did not redirect back to the SPA.');
  const tokens = await oidc.authorizationCodeGrant(
    config,
    new URL(redirectedTo),
    { pkceCodeVerifier: codeVerifier, expectedState: state },
    { resource: profile.resource },
  );
  if (tokens.id_token === undefined) throw new Error('The provider sent no ID token.');
  return { accessToken: tokens.access_token, idToken: tokens.id_token };
}

interface BuildContext {
  readonly profile: ShapeProfile;
  readonly issuer: string;
  readonly mount: string;
  readonly redirectUri: string;
  readonly options: OidcShapeOptions;
  readonly state: {
    keys: SigningKey[];
    deliver: boolean;
    store: ShapeStore;
    deliveries: BackchannelDelivery[];
  };
  readonly person: (sub: string) => Person;
}

/**
 * One oidc-provider instance with the current keys. A key rotation builds a new one: sessions and
 * grants live in oidc-provider's in-memory adapter, which all instances of the process share.
 */
function buildProvider(c: BuildContext): Provider {
  const { profile, redirectUri, options } = c;
  // The signing key is the last one: oidc-provider signs with the first key that fits, so it goes first.
  const keys = [...c.state.keys].reverse().map((k) => k.privateJwk);
  const provider = new Provider(c.issuer, {
    jwks: { keys },
    adapter: c.state.store.adapter,
    cookies: { keys: COOKIE_KEYS },
    // A browser SPA calls the token endpoint cross-origin: allowed from its redirect URIs' origins.
    clientBasedCORS: (_ctx: unknown, origin: string, client: { redirectUris: string[] }) =>
      client.redirectUris.some((uri) => new URL(uri).origin === origin),
    routes: profile.routes,
    clients: [
      {
        client_id: profile.clientId,
        token_endpoint_auth_method: 'none', // a SPA: PKCE protects the code
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [redirectUri],
        post_logout_redirect_uris: [options.postLogoutRedirectUri ?? new URL(redirectUri).origin + '/'],
        ...(options.backchannelLogoutUri !== undefined && {
          backchannel_logout_uri: options.backchannelLogoutUri,
          backchannel_logout_session_required: profile.sessionInLogoutToken,
        }),
      },
    ],
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `${c.mount}/interaction/${interaction.uid}`,
    },
    ttl: {
      AccessToken: (_ctx: unknown, token: { resourceServer?: { accessTokenTTL?: number } }) =>
        token.resourceServer?.accessTokenTTL ?? 300,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 86_400,
      Grant: 86_400,
    },
    features: {
      devInteractions: { enabled: false },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: { body: string }, form: string) => {
          ctx.body = `<!doctype html><title>Sign out</title>${form}<button form="op.logoutForm" name="logout" value="yes">Sign out</button>`;
        },
        postLogoutSuccessSource: (ctx: { body: string }) => {
          ctx.body = '<!doctype html><title>Signed out</title>';
        },
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => profile.resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== profile.resource) throw new errors.InvalidTarget();
          return {
            scope: profile.scope,
            audience: profile.resource,
            accessTokenTTL: profile.tokenLifetimeSec(),
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    formats: {
      customizers: {
        jwt: (
          _ctx: unknown,
          token: { sid?: string; accountId?: string },
          draft: { header?: Record<string, unknown>; payload: Record<string, unknown> },
        ) => {
          profile.shapeAccessToken(draft, {
            issuer: c.issuer,
            clientId: profile.clientId,
            audience: profile.audience,
            scope: profile.scope,
            person: c.person(String(token.accountId ?? draft.payload['sub'])),
            sid: token.sid,
            origins: [new URL(redirectUri).origin],
          });
        },
      },
    },
    // The provider refuses to POST to loopback (an SSRF guard); the receivers listen on it here. Every
    // back-channel POST is recorded, and with `deliver: false` only recorded.
    fetch: async (url: string, init: RequestInit & { dispatcher?: unknown }) => {
      delete init.dispatcher;
      const logoutToken = new URLSearchParams(String(init.body ?? '')).get('logout_token') ?? '';
      if (!c.state.deliver) {
        c.state.deliveries.push({ uri: url, logoutToken, status: undefined });
        return new Response(null, { status: 200 });
      }
      try {
        const response = await globalThis.fetch(url, init);
        c.state.deliveries.push({ uri: url, logoutToken, status: response.status });
        return response;
      } catch (err) {
        c.state.deliveries.push({ uri: url, logoutToken, status: undefined });
        throw err;
      }
    },
  });
  return provider;
}
