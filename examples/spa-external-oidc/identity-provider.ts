// The stand-in for Azure AD: oidc-provider, configured to issue access tokens shaped like Entra ID v2
// ones (header typ "JWT", a "uti" token id instead of "jti", "ver": "2.0", no "sid"), for one SPA
// (public client, code + PKCE) and one API. Unlike Entra ID it also sends OIDC back-channel logout.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';

/** How the SPA and the API are registered at the provider. */
export interface Registration {
  /** The SPA's client_id (the `aud` of its ID and logout tokens). */
  readonly clientId: string;
  /** Where the SPA receives the authorization code. */
  readonly redirectUri: string;
  /** The API's back-channel logout endpoint, registered on the SPA's client as in Auth0 or Keycloak. */
  readonly backchannelLogoutUri: string;
  /** The API's identifier: the `aud` of its access tokens (Entra: the API's Application ID). */
  readonly apiAudience: string;
  readonly apiScope: string;
}

export interface IdentityProvider {
  readonly issuer: string;
  /** Who the (scripted) login page signs in next. */
  account: string;
  close(): Promise<void>;
}

/** Starts the provider on 127.0.0.1 (`port` 0: any free port). */
export async function startIdentityProvider(app: Registration, port = 0): Promise<IdentityProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingKey = { ...(await exportJWK(privateKey)), kid: 'stand-in-key-1', alg: 'RS256', use: 'sig' };

  const provider = new Provider(issuer, {
    jwks: { keys: [signingKey] },
    cookies: { keys: ['example-cookie-key-not-a-secret'] },
    clients: [
      {
        client_id: app.clientId,
        token_endpoint_auth_method: 'none', // a SPA has no secret: PKCE protects the code
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [app.redirectUri],
        backchannel_logout_uri: app.backchannelLogoutUri,
        backchannel_logout_session_required: true,
      },
    ],
    findAccount: async (_ctx: unknown, id: string) => ({ accountId: id, claims: async () => ({ sub: id }) }),
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
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
        defaultResource: () => app.apiAudience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== app.apiAudience) throw new errors.InvalidTarget();
          return {
            scope: app.apiScope,
            audience: app.apiAudience,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
          };
        },
      },
    },
    formats: {
      customizers: {
        // Entra ID v2 shape: typ JWT, uti instead of jti, ver 2.0.
        jwt: (_ctx: unknown, _token: unknown, jwt: { header?: object; payload: Record<string, unknown> }) => {
          jwt.header = { typ: 'JWT' };
          jwt.payload['uti'] = jwt.payload['jti'];
          delete jwt.payload['jti'];
          jwt.payload['ver'] = '2.0';
        },
      },
    },
    // The provider refuses to POST to loopback addresses (an SSRF guard); the API listens on one here.
    fetch: (url: string, options: RequestInit & { dispatcher?: unknown }) => {
      delete options.dispatcher;
      return globalThis.fetch(url, options);
    },
  });

  // The login page, scripted: whoever opens it is signed in as `account` and consents to the scopes.
  const state = { account: 'alice' };
  const signIn = async (req: IncomingMessage, res: ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    const grant =
      (details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId)) ??
      new provider.Grant({ accountId: state.account, clientId: String(details.params['client_id']) });
    grant.addOIDCScope('openid');
    grant.addResourceScope(app.apiAudience, app.apiScope);
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: state.account }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  };
  const handle = provider.callback();
  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return handle(req, res);
    signIn(req, res).catch((err: unknown) => res.writeHead(500).end(String(err)));
  });

  return {
    issuer,
    get account() {
      return state.account;
    },
    set account(value: string) {
      state.account = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
