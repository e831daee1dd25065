// oidc-provider runs here as a real external identity provider (the stand-in for Entra ID or Keycloak):
// users sign in through its authorization endpoint (code + PKCE, driven by a scripted browser), it
// issues RFC 9068 JWT access tokens for the API, and it ends sessions with a real back-channel logout
// POST to the API. The API trusts it by discovery only.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  BackchannelLogoutReceiver,
  LogFeedSource,
  MemoryRevocationLog,
  Replica,
  ReplicaFollower,
  type RevocableError,
  Revoker,
  type TrustedIssuer,
  trustIssuer,
} from '@revocable/core';
import { revoke } from '@revocable/core/fetch';
import { decodeProtectedHeader, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type IdentityProvider,
  type RelyingParty,
  startIdentityProvider,
} from './support/identity-provider.js';
import { startServer, type TestServer } from './support/json-server.js';
import { issuerKey, sign } from './support/keys.js';
import { loginWithPkce, logoutAtProvider, type SpaTokens, UserAgent } from './support/user-agent.js';

let api: TestServer;
let rp: RelyingParty;
let idp: IdentityProvider;
let trusted: TrustedIssuer;
let log: MemoryRevocationLog;
let replica: Replica;
let follower: ReplicaFollower;
let receiver: BackchannelLogoutReceiver;
/** Logout tokens the API received, in order. */
const received: string[] = [];

async function readBody(req: IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

beforeAll(async () => {
  api = await startServer();
  api.handle = (req, res) => {
    if (req.method !== 'POST' || req.url !== '/backchannel-logout') return void res.writeHead(404).end();
    readBody(req)
      .then(async (body) => {
        received.push(new URLSearchParams(body).get('logout_token') ?? '');
        const answer = await receiver.handleForm(body, req.headers['content-type']);
        res.writeHead(answer.status, answer.headers).end(answer.body);
      })
      .catch(() => res.writeHead(500).end());
  };
  rp = {
    clientId: 'spa',
    redirectUri: `${api.origin}/callback`,
    postLogoutRedirectUri: `${api.origin}/`,
    backchannelLogoutUri: `${api.origin}/backchannel-logout`,
    resource: 'https://api.example',
    scope: 'api:read',
  };
  idp = await startIdentityProvider(rp);

  log = new MemoryRevocationLog();
  replica = new Replica({ purgeIntervalMs: 0 });
  follower = new ReplicaFollower(replica, new LogFeedSource(log));
  await follower.start();
  trusted = await trustIssuer({
    issuer: idp.issuer,
    audience: rp.resource,
    allowInsecureLocalhost: true, // the stand-in listens on http://127.0.0.1
    revocation: replica,
  });
  receiver = new BackchannelLogoutReceiver({
    issuer: trusted.issuer,
    keys: trusted.keys,
    clientId: rp.clientId,
    revoker: new Revoker(log),
  });
});

afterAll(async () => {
  follower?.stop();
  replica?.close();
  await idp?.close();
  await api?.close();
});

function login(agent: UserAgent, account = 'alice'): Promise<SpaTokens> {
  idp.account = account;
  return loginWithPkce(agent, { issuer: idp.issuer, ...rp });
}

/** The rule that rejects `token` at the API, `undefined` when it is accepted. */
async function rejection(token: string): Promise<string | undefined> {
  try {
    await trusted.verify(token);
    return undefined;
  } catch (err) {
    const { code, rule } = err as RevocableError;
    if (code !== 'ERR_TOKEN_REVOKED') throw err;
    return rule;
  }
}

/** Waits until the replica has applied the log up to its end. */
async function replicaCaughtUp(): Promise<void> {
  const seq = await log.lastSeq();
  await vi.waitFor(() => expect(replica.lastSeq).toBeGreaterThanOrEqual(seq));
}

async function nextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
}

describe('the API trusts oidc-provider by discovery', () => {
  it('accepts the JWT access tokens the provider issues after a PKCE login', async () => {
    const { accessToken } = await login(new UserAgent());
    const { header, claims, facts } = await trusted.verify(accessToken);
    expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: idp.keys.ec.kid });
    expect(claims).toMatchObject({ iss: idp.issuer, sub: 'alice', aud: rp.resource, client_id: 'spa' });
    expect(facts.sid).toEqual(expect.any(String));
    expect(facts.tokenId).toBe(claims.jti);
    expect(trusted.metadata?.backchannelLogoutSupported).toBe(true);
    expect(trusted.keys.kids.sort()).toEqual([idp.keys.ec.kid, idp.keys.rsa.kid].sort());
  });
});

describe("the app's own logout revokes the provider's tokens locally", () => {
  it('by token id: the token in hand is rejected, another token of the same session is not', async () => {
    const agent = new UserAgent();
    const first = await login(agent);
    const second = await login(agent); // same OP session: same sid, new jti
    await revoke(new Revoker(log), await trusted.verify(first.accessToken), { scope: 'token' });
    await replicaCaughtUp();
    expect(await rejection(first.accessToken)).toBe('token');
    expect(await rejection(second.accessToken)).toBeUndefined();
  });

  it('by session (sid): every token of that session is rejected, other sessions are not', async () => {
    const agent = new UserAgent();
    const older = await login(agent);
    const inHand = await login(agent);
    const bob = await login(new UserAgent(), 'bob');
    await revoke(new Revoker(log), await trusted.verify(inHand.accessToken)); // sid present: session scope
    await replicaCaughtUp();
    expect(await rejection(inHand.accessToken)).toBe('session');
    expect(await rejection(older.accessToken)).toBe('session');
    expect(await rejection(bob.accessToken)).toBeUndefined();
  });

  it("by subject: the user's tokens of every session are rejected; a login in a later second is accepted", async () => {
    const laptop = await login(new UserAgent(), 'carol');
    const phone = await login(new UserAgent(), 'carol');
    const dave = await login(new UserAgent(), 'dave');
    expect((await trusted.verify(laptop.accessToken)).facts.sid).not.toBe(
      (await trusted.verify(phone.accessToken)).facts.sid,
    );
    await revoke(new Revoker(log), await trusted.verify(laptop.accessToken), { scope: 'subject' });
    await replicaCaughtUp();
    expect(await rejection(laptop.accessToken)).toBe('subject');
    expect(await rejection(phone.accessToken)).toBe('subject');
    expect(await rejection(dave.accessToken)).toBeUndefined();
    // The provider's iat is whole seconds, read as the start of the second: wait for the next one.
    await nextSecond();
    const again = await login(new UserAgent(), 'carol');
    expect(await rejection(again.accessToken)).toBeUndefined();
  });
});

describe("the provider's back-channel logout", () => {
  it("revokes the session's tokens at the API when the user signs out at the provider", async () => {
    const agent = new UserAgent();
    const tokens = await login(agent, 'erin');
    const other = await login(new UserAgent(), 'erin');
    expect(await rejection(tokens.accessToken)).toBeUndefined();
    const before = received.length;
    await logoutAtProvider(agent, idp.issuer, tokens.idToken);
    expect(idp.backchannelErrors).toEqual([]);
    expect(received.length).toBe(before + 1);
    expect(decodeProtectedHeader(received.at(-1)!).typ).toBe('logout+jwt');
    await replicaCaughtUp();
    expect(await rejection(tokens.accessToken)).toBe('session');
    expect(await rejection(other.accessToken)).toBeUndefined(); // erin's other session lives on
  });

  it("refuses the provider's genuine logout token when it is replayed", async () => {
    const genuine = received.at(-1)!;
    const response = await postLogout(genuine);
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });
});

function postLogout(logoutToken: string): Promise<Response> {
  return fetch(rp.backchannelLogoutUri, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: logoutToken }),
  });
}

describe('forged logout tokens are refused with 400', () => {
  // Signed with the provider's own RS256 key (the test holds it): only the named defect differs
  // from a logout token the receiver accepts.
  function claims(extra: Record<string, unknown> = {}): JWTPayload {
    const iat = Math.floor(Date.now() / 1000);
    return {
      iss: idp.issuer,
      aud: rp.clientId,
      iat,
      exp: iat + 120,
      jti: randomUUID(),
      sub: 'frank',
      sid: `sid-${randomUUID()}`,
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      ...extra,
    };
  }
  const typed = { typ: 'logout+jwt' };

  it('while the same token without the defect is accepted', async () => {
    const response = await postLogout(await sign(idp.keys.rsa, claims(), typed));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  const forgeries: [string, () => Promise<string>, RegExp][] = [
    [
      'a wrong signature (another key under the provider kid)',
      async () => sign({ ...(await issuerKey(idp.keys.rsa.kid, 'RS256')) }, claims(), typed),
      /ERR_SIGNATURE_INVALID/,
    ],
    [
      'a wrong aud',
      () => sign(idp.keys.rsa, claims({ aud: 'another-client' }), typed),
      /ERR_CLAIM_INVALID.*aud/,
    ],
    ['no events claim', () => sign(idp.keys.rsa, claims({ events: undefined }), typed), /events/],
    [
      'an events claim without the logout member',
      () => sign(idp.keys.rsa, claims({ events: { 'https://example.com/other': {} } }), typed),
      /events/,
    ],
    ['a nonce', () => sign(idp.keys.rsa, claims({ nonce: 'n-0S6_WzA2Mj' }), typed), /nonce/],
    [
      'typ JWT where logout+jwt is required',
      () => sign(idp.keys.rsa, claims(), { typ: 'JWT' }),
      /ERR_TYP_INVALID/,
    ],
    ['no typ', () => sign(idp.keys.rsa, claims(), {}), /ERR_TYP_INVALID/],
    [
      'neither sub nor sid',
      () => sign(idp.keys.rsa, claims({ sub: undefined, sid: undefined }), typed),
      /"sub", "sid" or both/,
    ],
    ['no jti', () => sign(idp.keys.rsa, claims({ jti: undefined }), typed), /jti/],
    ['another issuer', () => sign(idp.keys.rsa, claims({ iss: 'https://evil.example' }), typed), /iss/],
    [
      'an iat from long ago',
      () => sign(idp.keys.rsa, claims({ iat: Math.floor(Date.now() / 1000) - 3600 }), typed),
      /ERR_TOKEN_EXPIRED/,
    ],
    [
      "the provider's access token instead of a logout token",
      async () => (await login(new UserAgent(), 'grace')).accessToken,
      /ERR_TYP_INVALID/,
    ],
  ];
  for (const [defect, forge, description] of forgeries) {
    it(`with ${defect}`, async () => {
      const response = await postLogout(await forge());
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: string; error_description: string };
      expect(body.error).toBe('invalid_request');
      expect(body.error_description).toMatch(description);
    });
  }

  it('with a replayed jti', async () => {
    const token = await sign(idp.keys.rsa, claims(), typed);
    expect((await postLogout(token)).status).toBe(200);
    const replay = await postLogout(token);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error_description: string }).error_description).toMatch(
      /received before/,
    );
  });
});
