import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';
import type { IssuerKey } from './keys.js';

/** Where the relying party (the API under test) lives, as the provider registers it. */
export interface RelyingParty {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly postLogoutRedirectUri: string;
  readonly backchannelLogoutUri: string;
  /** The API's resource indicator: the `aud` of its access tokens. */
  readonly resource: string;
  readonly scope: string;
}

/** oidc-provider running as a real external OP on 127.0.0.1 (port 0), the way Entra ID or Keycloak would. */
export interface IdentityProvider {
  readonly issuer: string;
  readonly provider: Provider;
  /** The OP's private signing keys (RS256 for ID and logout tokens, ES256 for access tokens). */
  readonly keys: { readonly rsa: IssuerKey; readonly ec: IssuerKey };
  /** Who the login interaction signs in next. */
  account: string;
  /** Back-channel deliveries the OP reported as failed. */
  readonly backchannelErrors: unknown[];
  close(): Promise<void>;
}

async function privateKey(kid: string, alg: 'RS256' | 'ES256'): Promise<IssuerKey & { privateJwk: object }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return {
    kid,
    alg,
    privateKey,
    jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' },
  };
}

/**
 * Starts oidc-provider with: one public SPA client (PKCE, no secret) that registers a back-channel
 * logout URI with `backchannel_logout_session_required`; `resourceIndicators` issuing RFC 9068 JWT
 * access tokens (ES256, 10 minutes) for `rp.resource`; `backchannelLogout`; dev interactions off and a
 * login interaction that signs in `account` programmatically (`interactionFinished`). Access tokens
 * get the session's `sid` (a JWT customizer, as Keycloak sends it). The OP's SSRF guard is bypassed
 * for its back-channel POST because the RP listens on loopback.
 */
export async function startIdentityProvider(rp: RelyingParty): Promise<IdentityProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const [rsa, ec] = await Promise.all([privateKey('op-rsa-1', 'RS256'), privateKey('op-ec-1', 'ES256')]);
  const backchannelErrors: unknown[] = [];

  const provider = new Provider(issuer, {
    jwks: { keys: [rsa.privateJwk, ec.privateJwk] },
    cookies: { keys: ['cookie-signing-key-for-tests-only'] },
    clients: [
      {
        client_id: rp.clientId,
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [rp.redirectUri],
        post_logout_redirect_uris: [rp.postLogoutRedirectUri],
        backchannel_logout_uri: rp.backchannelLogoutUri,
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
        defaultResource: () => rp.resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, resource: string) => {
          if (resource !== rp.resource) throw new errors.InvalidTarget();
          return {
            scope: rp.scope,
            audience: rp.resource,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
    formats: {
      customizers: {
        jwt: (_ctx: unknown, token: { sid?: string }, jwt: { payload: Record<string, unknown> }) => {
          if (token.sid !== undefined) jwt.payload['sid'] = token.sid;
        },
      },
    },
    fetch: (url: string, options: RequestInit & { dispatcher?: unknown }) => {
      delete options.dispatcher;
      return globalThis.fetch(url, options);
    },
  });
  provider.on('backchannel.error', (_ctx, err) => backchannelErrors.push(err));

  const state = { account: 'alice' };
  const handle = provider.callback();
  const interaction = async (req: IncomingMessage, res: ServerResponse) => {
    const details = await provider.interactionDetails(req, res);
    const clientId = String(details.params['client_id']);
    const grant =
      (details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId)) ??
      new provider.Grant({ accountId: state.account, clientId });
    grant.addOIDCScope('openid');
    grant.addResourceScope(rp.resource, rp.scope);
    const grantId = await grant.save();
    await provider.interactionFinished(
      req,
      res,
      { login: { accountId: state.account }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
  };
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/interaction/')) {
      interaction(req, res).catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    } else {
      handle(req, res);
    }
  });

  return {
    issuer,
    provider,
    keys: { rsa, ec },
    get account() {
      return state.account;
    },
    set account(value: string) {
      state.account = value;
    },
    backchannelErrors,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
