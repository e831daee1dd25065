import {
  BACKCHANNEL_LOGOUT_EVENT,
  type BackchannelLogoutOptions,
  BackchannelLogoutReceiver,
  MemoryRevocationLog,
  MemorySeenTokenStore,
  RemoteJwks,
  RevocableError,
  type RevocationLog,
  Revoker,
  SeenTokenIds,
} from '@revocable/core';
import { base64url, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendJson, startServer, type TestServer } from './support/json-server.js';
import { type IssuerKey, issuerKey, jwks, sign, signRaw } from './support/keys.js';

const ISS = 'https://op.example';
const CLIENT = 'rp-client';
const TYPED = { typ: 'logout+jwt' };

let server: TestServer;
let keys: RemoteJwks;
let opKey: IssuerKey;
let now: number;
const clock = () => now;

beforeAll(async () => {
  opKey = await issuerKey('op-1', 'RS256');
  server = await startServer((_req, res) => sendJson(res, jwks(opKey)));
  keys = new RemoteJwks({ url: `${server.origin}/jwks`, allowInsecureLocalhost: true });
  await keys.load();
});
afterAll(() => server.close());
beforeEach(() => {
  now = Date.now();
});

function receiverWith(options: Partial<BackchannelLogoutOptions> = {}) {
  const log = new MemoryRevocationLog();
  const receiver = new BackchannelLogoutReceiver({
    issuer: ISS,
    keys,
    clientId: CLIENT,
    revoker: new Revoker(log),
    clock,
    ...options,
  });
  return { log, receiver };
}

let counter = 0;
function claims(extra: Record<string, unknown> = {}): JWTPayload {
  const iat = Math.floor(now / 1000);
  return {
    iss: ISS,
    aud: CLIENT,
    iat,
    exp: iat + 120,
    jti: `jti-${++counter}`,
    sub: 'alice',
    sid: 'session-1',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...extra,
  };
}

function logoutToken(
  extra: Record<string, unknown> = {},
  header: Record<string, unknown> = TYPED,
): Promise<string> {
  return sign(opKey, claims(extra), header);
}

function form(token: string): string {
  return new URLSearchParams({ logout_token: token }).toString();
}

describe('an accepted logout token', () => {
  it('with sid writes a session rule for that session, with reason backchannel_logout and actor issuer:<iss>', async () => {
    const { log, receiver } = receiverWith();
    const answer = await receiver.handleForm(form(await logoutToken()), 'application/x-www-form-urlencoded');
    expect(answer).toMatchObject({ status: 200, headers: { 'cache-control': 'no-store' }, body: '' });
    expect(answer.outcome).toMatchObject({ rule: 'session', sid: 'session-1', sub: 'alice' });
    const [event] = await log.readAfter(0);
    expect(event).toMatchObject({
      rule: { kind: 'session', iss: ISS, sid: 'session-1' },
      reason: 'backchannel_logout',
      actor: `issuer:${ISS}`,
    });
  });

  it('with sub only writes a subject rule', async () => {
    const { receiver } = receiverWith();
    const outcome = await receiver.receive(await logoutToken({ sid: undefined }));
    expect(outcome.rule).toBe('subject');
    expect(outcome.event.rule).toMatchObject({ kind: 'subject', iss: ISS, sub: 'alice' });
  });

  it('with sid and sub writes a subject rule when preferSession is off (access tokens without sid)', async () => {
    const { receiver } = receiverWith({ preferSession: false });
    expect((await receiver.receive(await logoutToken())).event.rule.kind).toBe('subject');
    expect((await receiver.receive(await logoutToken({ sub: undefined }))).event.rule.kind).toBe('session');
  });

  it('may name several audiences, one of them this client', async () => {
    const { receiver } = receiverWith();
    expect((await receiver.receive(await logoutToken({ aud: ['other', CLIENT] }))).rule).toBe('session');
  });

  it('without exp is accepted only with requireExp: false (providers older than the final spec)', async () => {
    const token = await logoutToken({ exp: undefined });
    expect(JSON.parse((await receiverWith().receiver.handleForm(form(token))).body)).toMatchObject({
      error: 'invalid_request',
      error_description: expect.stringMatching(/^ERR_CLAIM_INVALID: .*"exp"/),
    });
    const lenient = receiverWith({ requireExp: false }).receiver;
    expect((await lenient.handleForm(form(token))).status).toBe(200);
    // An exp that is there is still checked.
    const expired = await logoutToken({ exp: Math.floor(now / 1000) - 10 });
    expect((await lenient.handleForm(form(expired))).status).toBe(400);
  });

  it('without typ is accepted only when types lists null', async () => {
    const token = await logoutToken({}, {});
    expect((await receiverWith().receiver.handleForm(form(token))).status).toBe(400);
    const lenient = receiverWith({ types: ['logout+jwt', null] }).receiver;
    expect((await lenient.handleForm(form(token))).status).toBe(200);
  });
});

describe('a logout token is refused (400 invalid_request) when', () => {
  const cases: [string, () => Promise<string>, RegExp][] = [
    ['it is not a JWS', async () => 'not-a-token', /ERR_TOKEN_MALFORMED/],
    ['it is a JWE', async () => 'a.b.c.d.e', /ERR_TOKEN_MALFORMED/],
    [
      'alg is none',
      async () =>
        `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'logout+jwt', kid: 'op-1' }))}.${base64url.encode(JSON.stringify(claims()))}.`,
      /ERR_ALG_NOT_ALLOWED/,
    ],
    ['the header carries a key', () => logoutToken({}, { ...TYPED, jwk: opKey.jwk }), /ERR_HEADER_INVALID/],
    [
      'the header has crit',
      async () => signRaw(opKey, { ...TYPED, crit: ['exp'], exp: 1 }, claims()),
      /ERR_CRIT_UNSUPPORTED/,
    ],
    ['typ is JWT', () => logoutToken({}, { typ: 'JWT' }), /ERR_TYP_INVALID/],
    ['typ is at+jwt', () => logoutToken({}, { typ: 'at+jwt' }), /ERR_TYP_INVALID/],
    ['the kid is unknown', () => logoutToken({}, { ...TYPED, kid: 'nobody' }), /ERR_KEY_UNKNOWN/],
    ['iss is another issuer', () => logoutToken({ iss: 'https://other.example' }), /"iss"/],
    ['aud is another client', () => logoutToken({ aud: 'other' }), /"aud"/],
    ['aud is missing', () => logoutToken({ aud: undefined }), /"aud"/],
    ['iat is missing', () => logoutToken({ iat: undefined }), /"iat"/],
    [
      'iat is in the future',
      () => logoutToken({ iat: Math.floor(now / 1000) + 60 }),
      /ERR_TOKEN_NOT_YET_VALID/,
    ],
    [
      'iat is older than maxAgeSec',
      () => logoutToken({ iat: Math.floor(now / 1000) - 200, exp: undefined }),
      /ERR_TOKEN_EXPIRED/,
    ],
    [
      'exp is missing (required since Back-Channel Logout 1.0 final)',
      () => logoutToken({ exp: undefined }),
      /"exp"/,
    ],
    ['exp has passed', () => logoutToken({ exp: Math.floor(now / 1000) - 10 }), /ERR_TOKEN_EXPIRED/],
    ['exp is not a number', () => logoutToken({ exp: 'soon' }), /"exp"/],
    [
      'nbf is in the future',
      () => logoutToken({ nbf: Math.floor(now / 1000) + 60 }),
      /ERR_TOKEN_NOT_YET_VALID/,
    ],
    ['jti is missing', () => logoutToken({ jti: undefined }), /"jti"/],
    ['jti is empty', () => logoutToken({ jti: '' }), /"jti"/],
    ['events is missing', () => logoutToken({ events: undefined }), /"events"/],
    [
      'events is the array of an old draft',
      () => logoutToken({ events: [BACKCHANNEL_LOGOUT_EVENT] }),
      /"events"/,
    ],
    [
      'the logout event is not an object',
      () => logoutToken({ events: { [BACKCHANNEL_LOGOUT_EVENT]: [] } }),
      /"events"/,
    ],
    [
      'the logout event is null',
      () => logoutToken({ events: { [BACKCHANNEL_LOGOUT_EVENT]: null } }),
      /"events"/,
    ],
    [
      'there is neither sub nor sid',
      () => logoutToken({ sub: undefined, sid: undefined }),
      /"sub", "sid" or both/,
    ],
    ['sub is empty', () => logoutToken({ sub: '' }), /"sub"/],
    ['sid is not a string', () => logoutToken({ sid: 42 }), /"sid"/],
    ['it carries a nonce', () => logoutToken({ nonce: 'abc' }), /"nonce"/],
  ];
  for (const [what, make, description] of cases) {
    it(what, async () => {
      const { log, receiver } = receiverWith();
      const answer = await receiver.handleForm(form(await make()));
      expect(answer.status).toBe(400);
      expect(answer.headers).toMatchObject({
        'cache-control': 'no-store',
        'content-type': 'application/json',
      });
      const body = JSON.parse(answer.body) as { error: string; error_description: string };
      expect(body.error).toBe('invalid_request');
      expect(body.error_description).toMatch(description);
      expect(await log.lastSeq()).toBe(0);
    });
  }

  it('the signature was made with another key', async () => {
    const impostor = await issuerKey('op-1', 'RS256');
    const { receiver } = receiverWith();
    const answer = await receiver.handleForm(form(await sign(impostor, claims(), TYPED)));
    expect(JSON.parse(answer.body).error_description).toMatch(/ERR_SIGNATURE_INVALID/);
  });

  it('the payload was changed after signing', async () => {
    const [h, , s] = (await logoutToken({ sid: 'mine' })).split('.');
    const tampered = `${h}.${base64url.encode(JSON.stringify(claims({ sid: 'yours' })))}.${s}`;
    const answer = await receiverWith().receiver.handleForm(form(tampered));
    expect(JSON.parse(answer.body).error_description).toMatch(/ERR_SIGNATURE_INVALID/);
  });
});

describe('replay protection', () => {
  it('refuses a jti received before', async () => {
    const { log, receiver } = receiverWith();
    const token = await logoutToken();
    expect((await receiver.handleForm(form(token))).status).toBe(200);
    const replay = await receiver.handleForm(form(token));
    expect(replay.status).toBe(400);
    expect(JSON.parse(replay.body).error_description).toMatch(
      /ERR_CLAIM_INVALID: This logout token has been received before/,
    );
    expect(await log.lastSeq()).toBe(1);
  });

  it('lets exactly one of concurrent deliveries of a token through', async () => {
    const { log, receiver } = receiverWith();
    const token = await logoutToken();
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => receiver.receive(token)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(await log.lastSeq()).toBe(1);
  });

  it('forgets a jti whose revocation could not be written, so the OP can retry', async () => {
    const memory = new MemoryRevocationLog();
    let down = true;
    const flaky = {
      append: (requests: Parameters<RevocationLog['append']>[0]) =>
        down
          ? Promise.reject(new RevocableError('ERR_LOG_UNAVAILABLE', 'The revocation log is unavailable.'))
          : memory.append(requests),
    } as unknown as RevocationLog;
    const { receiver } = receiverWith({ revoker: new Revoker(flaky) });
    const token = await logoutToken();
    const failed = await receiver.handleForm(form(token));
    expect(failed.status).toBe(400);
    expect(JSON.parse(failed.body)).toMatchObject({ error: 'temporarily_unavailable' });
    down = false;
    expect((await receiver.handleForm(form(token))).status).toBe(200);
  });

  it('refuses a replay sent to another receiver (process) sharing the seen store, in the issuer scope', async () => {
    const seen = new MemorySeenTokenStore({ clock });
    const log = new MemoryRevocationLog();
    const [first, second] = [1, 2].map(
      () =>
        new BackchannelLogoutReceiver({
          issuer: ISS,
          keys,
          clientId: CLIENT,
          revoker: new Revoker(log),
          clock,
          seen,
        }),
    );
    const token = await logoutToken();
    expect((await first!.handleForm(form(token))).status).toBe(200);
    const replay = await second!.handleForm(form(token));
    expect(replay.status).toBe(400);
    expect(JSON.parse(replay.body).error_description).toMatch(/ERR_CLAIM_INVALID: .*received before/);
    expect(await log.lastSeq()).toBe(1);
    const jti = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).jti;
    expect(await seen.remember(`backchannel-logout:${ISS}`, jti, now + 60_000)).toBe(false);
    expect(await seen.remember('backchannel-logout:https://other-op.example', jti, now + 60_000)).toBe(true);
  });

  it('answers temporarily_unavailable and writes nothing when the seen store is down', async () => {
    const down = {
      remember: () =>
        Promise.reject(new RevocableError('ERR_LOG_UNAVAILABLE', 'The seen-token store failed.')),
      forget: async () => {},
      purgeExpired: async () => 0,
    };
    const { log, receiver } = receiverWith({ seen: down });
    const answer = await receiver.handleForm(form(await logoutToken()));
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ error: 'temporarily_unavailable' });
    expect(await log.lastSeq()).toBe(0);
  });

  it('rethrows errors that are not RevocableErrors (bugs are not 400s)', async () => {
    const broken = { append: () => Promise.reject(new TypeError('bug')) } as unknown as RevocationLog;
    const { receiver } = receiverWith({ revoker: new Revoker(broken) });
    await expect(receiver.handleForm(form(await logoutToken()))).rejects.toThrow(TypeError);
  });

  it('keeps a bounded memory, each id until its own time', () => {
    let t = 1000;
    const seen = new SeenTokenIds({ maxEntries: 3, clock: () => t });
    expect(seen.remember('a', 2000)).toBe(true);
    expect(seen.remember('a', 2000)).toBe(false);
    expect(seen.remember('b', 2000)).toBe(true);
    expect(seen.remember('c', 2000)).toBe(true);
    expect(seen.remember('d', 2000)).toBe(true); // full: the oldest (a) goes
    expect(seen.size).toBe(3);
    expect(seen.remember('a', 2000)).toBe(true);
    t = 2000;
    expect(seen.remember('b', 3000)).toBe(true); // b's time is over
    expect(seen.size).toBe(1);
  });
});

describe('the cutoff of the rule', () => {
  it("is the logout token's iat, so a replay to another process cannot revoke tokens issued after the logout", async () => {
    // Two API processes share the log but not their replay memory.
    const log = new MemoryRevocationLog();
    const revoker = new Revoker(log, clock);
    const first = new BackchannelLogoutReceiver({ issuer: ISS, keys, clientId: CLIENT, revoker, clock });
    const second = new BackchannelLogoutReceiver({ issuer: ISS, keys, clientId: CLIENT, revoker, clock });
    const token = await logoutToken({ sid: undefined });
    const loggedOutAt = Math.floor(now / 1000) * 1000;

    now += 2000;
    const delivered = await first.receive(token);
    expect(delivered.event.rule).toEqual({ kind: 'subject', iss: ISS, sub: 'alice', cutoff: loggedOutAt });

    // The user logs in again; the token is replayed to the other process within its window.
    now += 60_000;
    const replayed = await second.receive(token);
    expect(replayed.event.rule).toEqual({ kind: 'subject', iss: ISS, sub: 'alice', cutoff: loggedOutAt });
  });

  it('is the iat for a session rule too, in milliseconds', async () => {
    const { receiver } = receiverWith({ revoker: new Revoker(new MemoryRevocationLog(), clock) });
    const iat = Math.floor(now / 1000) - 30;
    now += 1500;
    const outcome = await receiver.receive(await logoutToken({ iat, exp: iat + 120 }));
    expect(outcome.event.rule).toEqual({ kind: 'session', iss: ISS, sid: 'session-1', cutoff: iat * 1000 });
  });
});

describe('the HTTP surface', () => {
  it('refuses a body that is not a form, without logout_token, or with two of them', async () => {
    const { receiver } = receiverWith();
    const token = await logoutToken();
    expect((await receiver.handleForm(form(token), 'application/json')).status).toBe(400);
    expect((await receiver.handleForm('', 'application/x-www-form-urlencoded')).status).toBe(400);
    expect((await receiver.handleForm(`${form(token)}&${form(token)}`)).status).toBe(400);
    expect((await receiver.handleForm({ logout_token: [token, token] })).status).toBe(400);
    expect((await receiver.handleForm(`logout_token=${'a'.repeat(17_000)}`)).status).toBe(400);
    expect(JSON.parse((await receiver.handleForm(undefined)).body)).toMatchObject({
      error: 'invalid_request',
      error_description: 'The request must carry exactly one "logout_token" parameter.',
    });
  });

  it('takes a body a framework already parsed, or URLSearchParams', async () => {
    const { receiver } = receiverWith();
    expect((await receiver.handleForm({ logout_token: await logoutToken() })).status).toBe(200);
    expect(
      (await receiver.handleForm(new URLSearchParams({ logout_token: await logoutToken() }))).status,
    ).toBe(200);
  });

  it('answers a fetch Request: 200 for a good POST, 400 for a bad one, 405 for other methods', async () => {
    const { receiver } = receiverWith();
    const url = 'https://rp.example/backchannel-logout';
    const post = (body: string, type = 'application/x-www-form-urlencoded; charset=UTF-8') =>
      receiver.handleRequest(new Request(url, { method: 'POST', headers: { 'content-type': type }, body }));
    const ok = await post(form(await logoutToken()));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect((await post(form(await logoutToken()), 'text/plain')).status).toBe(400);
    expect((await post('x'.repeat(20_000))).status).toBe(400);
    const get = await receiver.handleRequest(new Request(url));
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('checks its options when created', () => {
    const base: BackchannelLogoutOptions = {
      issuer: ISS,
      keys,
      clientId: CLIENT,
      revoker: new Revoker(new MemoryRevocationLog()),
    };
    for (const bad of [
      { clientId: [] },
      { clientId: '' },
      { issuer: '' },
      { types: [] },
      { algorithms: ['none'] },
      { maxAgeSec: 0 },
      { keys: {} },
      { requireExp: 'yes' },
    ]) {
      expect(
        () => new BackchannelLogoutReceiver({ ...base, ...(bad as object) }),
        JSON.stringify(bad),
      ).toThrow(expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }));
    }
  });
});
