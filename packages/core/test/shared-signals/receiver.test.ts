import {
  EVENT_TYPES,
  MemoryRevocationLog,
  MemorySeenTokenStore,
  RemoteJwks,
  RevocableError,
  type RevocationLog,
  Revoker,
  SharedSignalsReceiver,
  type SharedSignalsReceiverOptions,
} from '@revocable/core';
import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sendJson, startServer, type TestServer } from '../external/support/json-server.js';
import { type IssuerKey, issuerKey, jwks, sign, signRaw } from '../external/support/keys.js';

const TX = 'https://transmitter.example';
const AUD = 'receiver-api';
const TYPED = { typ: 'secevent+jwt' };
const SET_TYPE = 'application/secevent+jwt';

let server: TestServer;
let keys: RemoteJwks;
let txKey: IssuerKey;
let otherKey: IssuerKey;
let now: number;
const clock = () => now;

beforeAll(async () => {
  txKey = await issuerKey('tx-1', 'ES256');
  otherKey = await issuerKey('tx-1', 'ES256'); // same kid, another key: a forgery
  server = await startServer((_req, res) => sendJson(res, jwks(txKey)));
  keys = new RemoteJwks({ url: `${server.origin}/jwks`, allowInsecureLocalhost: true });
  await keys.load();
});
afterAll(() => server.close());
beforeEach(() => {
  now = Date.now();
});

function receiverWith(options: Partial<SharedSignalsReceiverOptions> = {}) {
  const log = new MemoryRevocationLog();
  const receiver = new SharedSignalsReceiver({
    issuer: TX,
    keys,
    audience: AUD,
    revoker: new Revoker(log),
    clock,
    ...options,
  });
  return { log, receiver };
}

let counter = 0;
function claims(
  event: string,
  payload: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): JWTPayload {
  const iat = Math.floor(now / 1000);
  return {
    iss: TX,
    aud: AUD,
    iat,
    jti: `set-${++counter}`,
    sub_id: { format: 'iss_sub', iss: TX, sub: 'alice' },
    events: { [event]: { event_timestamp: iat - 1, ...payload } },
    ...extra,
  };
}

const sessionRevoked = (extra: Record<string, unknown> = {}, header: Record<string, unknown> = TYPED) =>
  sign(txKey, claims(EVENT_TYPES.sessionRevoked, {}, extra), header);

async function push(receiver: SharedSignalsReceiver, set: string) {
  const answer = await receiver.handlePush(set, SET_TYPE);
  return { ...answer, json: answer.body === '' ? undefined : JSON.parse(answer.body) };
}

describe("control cases: a good SET is accepted, so every refusal below is the check's doing", () => {
  it('session-revoked with a complex subject writes a session rule, cutoff the event time', async () => {
    const { log, receiver } = receiverWith();
    const iat = Math.floor(now / 1000);
    const set = await sessionRevoked({
      sub_id: {
        format: 'complex',
        session: { format: 'opaque', id: 'sid-1' },
        user: { format: 'iss_sub', iss: TX, sub: 'alice' },
      },
    });
    const answer = await push(receiver, set);
    expect(answer.status).toBe(202);
    expect(answer.outcome).toMatchObject({ action: 'revoked', target: { kind: 'session', sid: 'sid-1' } });
    const [event] = await log.readAfter(0);
    expect(event).toMatchObject({
      rule: { kind: 'session', iss: TX, sid: 'sid-1', cutoff: (iat - 1) * 1000 },
      reason: 'shared_signal',
      actor: `transmitter:${TX}`,
    });
  });

  it('session-revoked about a user only writes a subject rule', async () => {
    const { log, receiver } = receiverWith();
    expect((await push(receiver, await sessionRevoked())).status).toBe(202);
    expect((await log.readAfter(0))[0]?.rule).toMatchObject({ kind: 'subject', iss: TX, sub: 'alice' });
  });

  it('session-revoked with a simple opaque subject revokes that session', async () => {
    const { log, receiver } = receiverWith();
    await push(receiver, await sessionRevoked({ sub_id: { format: 'opaque', id: 'sid-9' } }));
    expect((await log.readAfter(0))[0]?.rule).toMatchObject({ kind: 'session', iss: TX, sid: 'sid-9' });
  });

  it('credential-change writes a subject cutoff', async () => {
    const { log, receiver } = receiverWith();
    const set = await sign(
      txKey,
      claims(EVENT_TYPES.credentialChange, { credential_type: 'password', change_type: 'update' }),
      TYPED,
    );
    expect((await push(receiver, set)).status).toBe(202);
    expect((await log.readAfter(0))[0]?.rule).toMatchObject({ kind: 'subject', iss: TX, sub: 'alice' });
  });

  it('token-claims-change is accepted for the audit trail and writes no rule', async () => {
    const { log, receiver } = receiverWith();
    const set = await sign(
      txKey,
      claims(EVENT_TYPES.tokenClaimsChange, { claims: { role: 'reader' } }),
      TYPED,
    );
    const answer = await push(receiver, set);
    expect(answer.status).toBe(202);
    expect(answer.outcome).toMatchObject({ action: 'recorded', target: { kind: 'subject', sub: 'alice' } });
    expect(await log.lastSeq()).toBe(0);
  });

  it('a verification event is accepted and its state reported, with no rule', async () => {
    const { log, receiver } = receiverWith();
    const set = await sign(
      txKey,
      claims(EVENT_TYPES.verification, { state: 'abc' }, { sub_id: { format: 'opaque', id: 'stream-1' } }),
      TYPED,
    );
    const answer = await push(receiver, set);
    expect(answer.outcome).toMatchObject({ action: 'verified', state: 'abc' });
    expect(await log.lastSeq()).toBe(0);
  });

  it('accepts the legacy CAEP "subject" inside the event when there is no sub_id', async () => {
    const { log, receiver } = receiverWith();
    const payload = claims(EVENT_TYPES.sessionRevoked, {
      subject: { format: 'iss_sub', iss: TX, sub: 'bob' },
    });
    delete payload['sub_id'];
    expect((await push(receiver, await sign(txKey, payload, TYPED))).status).toBe(202);
    expect((await log.readAfter(0))[0]?.rule).toMatchObject({ kind: 'subject', sub: 'bob' });
  });
});

describe('refused SETs: the RFC 8935 error code, and nothing written', () => {
  const cases: [string, () => Promise<string>, string][] = [
    [
      'a forged signature (same kid, another key)',
      () => sign(otherKey, claims(EVENT_TYPES.sessionRevoked, {}), TYPED),
      'authentication_failed',
    ],
    [
      'an unknown kid',
      async () => signRaw({ ...txKey, kid: 'nope' }, TYPED, claims(EVENT_TYPES.sessionRevoked, {})),
      'invalid_key',
    ],
    ['another issuer', () => sessionRevoked({ iss: 'https://evil.example' }), 'invalid_issuer'],
    ['another audience', () => sessionRevoked({ aud: 'someone-else' }), 'invalid_audience'],
    ['typ JWT', () => sessionRevoked({}, { typ: 'JWT' }), 'invalid_request'],
    ['no typ', () => sessionRevoked({}, {}), 'invalid_request'],
    ['an iat in the future', () => sessionRevoked({ iat: Math.floor(now / 1000) + 3600 }), 'invalid_request'],
    [
      'an iat older than a day',
      () => sessionRevoked({ iat: Math.floor(now / 1000) - 90_000 }),
      'invalid_request',
    ],
    ['no jti', () => sessionRevoked({ jti: undefined }), 'invalid_request'],
    [
      'two events',
      () =>
        sessionRevoked({ events: { [EVENT_TYPES.sessionRevoked]: {}, [EVENT_TYPES.credentialChange]: {} } }),
      'invalid_request',
    ],
    [
      'an unknown event type',
      () => sign(txKey, claims('https://schemas.example/event/unknown', {}), TYPED),
      'invalid_request',
    ],
    [
      'an email subject',
      () => sessionRevoked({ sub_id: { format: 'email', email: 'a@example.com' } }),
      'invalid_request',
    ],
    ['no subject', () => sessionRevoked({ sub_id: undefined }), 'invalid_request'],
    [
      'a user of another issuer',
      () => sessionRevoked({ sub_id: { format: 'iss_sub', iss: 'https://other-idp.example', sub: 'alice' } }),
      'access_denied',
    ],
    [
      'a credential-change without change_type',
      () => sign(txKey, claims(EVENT_TYPES.credentialChange, { credential_type: 'password' }), TYPED),
      'invalid_request',
    ],
    ['not a JWT', async () => 'not-a-jwt', 'invalid_request'],
  ];
  for (const [what, make, err] of cases) {
    it(`${what}: ${err}`, async () => {
      const { log, receiver } = receiverWith();
      const answer = await push(receiver, await make());
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({ err, description: expect.any(String) });
      expect(await log.lastSeq()).toBe(0);
    });
  }

  it('a critical complex-subject member it cannot process (SSF: discard the event)', async () => {
    const { log, receiver } = receiverWith({ criticalSubjectMembers: ['tenant'] });
    const subject = {
      format: 'complex',
      user: { format: 'iss_sub', iss: TX, sub: 'alice' },
      tenant: { format: 'opaque', id: 't1' },
    };
    const answer = await push(receiver, await sessionRevoked({ sub_id: subject }));
    expect(answer.json).toMatchObject({
      err: 'invalid_request',
      description: expect.stringMatching(/tenant/),
    });
    expect(await log.lastSeq()).toBe(0);
    // The same subject without the member being critical is processed.
    expect((await push(receiverWith().receiver, await sessionRevoked({ sub_id: subject }))).status).toBe(202);
  });

  it('a wrong media type is 415, a missing Authorization header authentication_failed', async () => {
    const { log, receiver } = receiverWith({ authorization: 'Bearer push-secret' });
    const set = await sessionRevoked();
    expect((await receiver.handlePush(set, 'application/jwt', 'Bearer push-secret')).status).toBe(415);
    const unauthenticated = await receiver.handlePush(set, SET_TYPE, 'Bearer wrong');
    expect(unauthenticated.status).toBe(400);
    expect(JSON.parse(unauthenticated.body)).toMatchObject({ err: 'authentication_failed' });
    expect(await log.lastSeq()).toBe(0);
    expect((await receiver.handlePush(set, SET_TYPE, 'Bearer push-secret')).status).toBe(202);
  });

  it('no error description holds the SET', async () => {
    const { receiver } = receiverWith();
    const set = await sessionRevoked({ aud: 'someone-else' });
    const answer = await receiver.handlePush(set, SET_TYPE);
    expect(answer.body).not.toContain(set.split('.')[1]!);
    expect(answer.body).not.toContain(set.split('.')[2]!);
  });
});

describe('replay', () => {
  it('refuses a jti received before, also at another receiver sharing the seen store', async () => {
    const seen = new MemorySeenTokenStore({ clock });
    const log = new MemoryRevocationLog();
    const make = () =>
      new SharedSignalsReceiver({ issuer: TX, keys, audience: AUD, revoker: new Revoker(log), clock, seen });
    const set = await sessionRevoked();
    expect((await push(make(), set)).status).toBe(202);
    const replay = await push(make(), set);
    expect(replay.status).toBe(400);
    expect(replay.json).toMatchObject({
      err: 'invalid_request',
      description: expect.stringMatching(/received before/),
    });
    expect(await log.lastSeq()).toBe(1);
  });

  it('lets exactly one of concurrent deliveries through', async () => {
    const { log, receiver } = receiverWith();
    const set = await sessionRevoked();
    const answers = await Promise.all(Array.from({ length: 8 }, () => receiver.handlePush(set, SET_TYPE)));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(await log.lastSeq()).toBe(1);
  });

  it('answers 503 when the log is down, and accepts the same SET once it is back', async () => {
    const memory = new MemoryRevocationLog();
    let down = true;
    const flaky = {
      append: (requests: Parameters<RevocationLog['append']>[0]) =>
        down ? Promise.reject(new RevocableError('ERR_LOG_UNAVAILABLE', 'down')) : memory.append(requests),
    } as unknown as RevocationLog;
    const { receiver } = receiverWith({ revoker: new Revoker(flaky) });
    const set = await sessionRevoked();
    const failed = await receiver.handlePush(set, SET_TYPE);
    expect(failed.status).toBe(503);
    expect(failed.headers['retry-after']).toBeDefined();
    down = false;
    expect((await receiver.handlePush(set, SET_TYPE)).status).toBe(202);
    expect(await memory.lastSeq()).toBe(1);
  });

  it('does not remember a refused SET: the refusal is not a replay memory entry', async () => {
    const seen = new MemorySeenTokenStore({ clock });
    const { receiver } = receiverWith({ seen });
    await push(
      receiver,
      await sign(txKey, claims('https://schemas.example/event/unknown', {}, { jti: 'x-1' }), TYPED),
    );
    expect(seen.size).toBe(0);
  });
});

describe('the cutoff', () => {
  it('is never later than iat, whatever event_timestamp says', async () => {
    const { log, receiver } = receiverWith();
    const iat = Math.floor(now / 1000);
    const set = await sign(
      txKey,
      {
        ...claims(EVENT_TYPES.sessionRevoked, {}),
        events: { [EVENT_TYPES.sessionRevoked]: { event_timestamp: iat + 3600 } },
      },
      TYPED,
    );
    await push(receiver, set);
    expect((await log.readAfter(0))[0]?.rule).toMatchObject({ cutoff: iat * 1000 });
  });
});

describe('options', () => {
  it('are checked when the receiver is made', () => {
    const good = { issuer: TX, keys, audience: AUD, revoker: new Revoker(new MemoryRevocationLog()) };
    for (const bad of [
      { ...good, issuer: '' },
      { ...good, audience: [] },
      { ...good, keys: {} },
      { ...good, maxAgeSec: 0 },
      { ...good, algorithms: ['none'] },
      { ...good, ruleIssuers: [''] },
    ]) {
      expect(() => new SharedSignalsReceiver(bad as never)).toThrow(
        expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
      );
    }
  });
});
