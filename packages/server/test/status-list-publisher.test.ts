// The status list publisher and issuer on in-memory parts (log, replica, store, keys): which entries
// each rule kind flips, the order of a rule and an entry not mattering, recycling at freeAt, refusing
// to serve a list it cannot bring up to date, and the allocation of indexes.

import {
  AccessTokenIssuer,
  DEFAULT_REVOCATION_POLICY,
  KeyRing,
  LogFeedSource,
  MemoryRevocationLog,
  Replica,
  ReplicaFollower,
  RevocableError,
  type RevocationRule,
  verifyStatusListToken,
} from '@revocable/core';
import { MemoryStatusListStore, type StatusListEntry, type StatusListStore } from '@revocable/core/internal';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StatusListIssuer } from '../src/status-list/status-list-issuer.js';
import { StatusListPublisher } from '../src/status-list/status-list-publisher.js';
import { acceptsStatusListJwt } from '../src/status-list/status-list-route.js';

const ISS = 'https://auth.example';
const URI = `${ISS}/status-lists/1`;
const policy = DEFAULT_REVOCATION_POLICY;

interface Parts {
  log: MemoryRevocationLog;
  replica: Replica;
  follower: ReplicaFollower;
  store: MemoryStatusListStore;
  keys: KeyRing;
  publisher: StatusListPublisher;
}

const opened: Parts[] = [];
afterEach(async () => {
  for (const parts of opened.splice(0)) {
    await parts.publisher.stop();
    parts.follower.stop();
    parts.replica.close();
    await parts.keys.close();
    await parts.log.close();
  }
});

async function parts(options: { size?: number; follow?: boolean } = {}): Promise<Parts> {
  const log = new MemoryRevocationLog({ policy });
  const replica = new Replica({ policy, maxStalenessMs: 30_000 });
  const follower = new ReplicaFollower(replica, new LogFeedSource(log));
  if (options.follow !== false) await follower.start();
  const store = new MemoryStatusListStore();
  const keys = await KeyRing.open({ policy });
  const publisher = new StatusListPublisher({
    uri: URI,
    listId: '1',
    size: options.size ?? 1024,
    store,
    log,
    replica,
    keys,
    // Rounds are run by hand below.
    intervalMs: 3_600_000,
    ttlSec: 30,
  });
  const made = { log, replica, follower, store, keys, publisher };
  opened.push(made);
  return made;
}

let counter = 0;
function entry(over: Partial<StatusListEntry> = {}): StatusListEntry {
  counter++;
  const now = Date.now();
  return {
    list: '1',
    idx: counter % 1024,
    iss: ISS,
    sub: `user-${counter}`,
    sid: `sid-${counter}`,
    kid: 'k1',
    jti: `jti-${counter}`,
    issuedAt: now - 1000,
    expiresAt: now + 600_000,
    freeAt: now + 660_000,
    ...over,
  };
}

/** Appends a rule and waits until the replica has applied it. */
async function revoke(p: Parts, rule: RevocationRule): Promise<void> {
  const [event] = await p.log.append([{ rule, reason: 'admin', actor: 'test' }]);
  await vi.waitFor(() => expect(p.replica.lastSeq).toBeGreaterThanOrEqual(event!.seq), { timeout: 5000 });
}

/** The published list, verified as a consumer would. */
async function published(p: Parts) {
  const { list, claims } = await verifyStatusListToken(p.publisher.current().token, {
    keys: p.keys,
    uri: URI,
  });
  return { list, claims };
}

describe('StatusListPublisher', () => {
  it('publishes a signed list with every live entry VALID when no rule covers any (the control)', async () => {
    const p = await parts();
    const entries = [entry(), entry(), entry()];
    for (const e of entries) await p.store.claim(e, Date.now());
    await p.publisher.start();
    const { list, claims } = await published(p);
    expect(claims).toMatchObject({ sub: URI, ttl: 30, status_list: { bits: 1 } });
    expect(list.size).toBe(1024);
    for (const e of entries) expect(list.get(e.idx)).toBe(0);
    expect(p.publisher.stats()).toMatchObject({ entries: 3, revoked: 0 });
  });

  const kinds: [string, (e: StatusListEntry) => RevocationRule][] = [
    ['token', (e) => ({ kind: 'token', iss: ISS, tokenId: e.jti, expiresAt: e.expiresAt })],
    ['session', (e) => ({ kind: 'session', iss: ISS, sid: e.sid!, cutoff: Date.now() })],
    ['subject', (e) => ({ kind: 'subject', iss: ISS, sub: e.sub, cutoff: Date.now() })],
  ];
  for (const [kind, ruleFor] of kinds) {
    it(`flips the entry a ${kind} rule covers, and no other`, async () => {
      const p = await parts();
      const [target, other] = [entry(), entry()];
      for (const e of [target, other]) await p.store.claim(e, Date.now());
      await p.publisher.start();
      await revoke(p, ruleFor(target));
      await p.publisher.round();
      const { list } = await published(p);
      expect(list.get(target.idx)).toBe(1);
      expect(list.get(other.idx)).toBe(0);
    });
  }

  it('flips every entry signed with a key a key rule names, and only those', async () => {
    const p = await parts();
    const signed = [entry({ kid: 'bad' }), entry({ kid: 'bad' })];
    const other = entry({ kid: 'good' });
    for (const e of [...signed, other]) await p.store.claim(e, Date.now());
    await p.publisher.start();
    await revoke(p, { kind: 'key', iss: ISS, kid: 'bad', expiresAt: Date.now() + 600_000 });
    await p.publisher.round();
    const { list } = await published(p);
    for (const e of signed) expect(list.get(e.idx)).toBe(1);
    expect(list.get(other.idx)).toBe(0);
  });

  it('flips the entries of an issuer issued at or before an issuer rule’s cutoff, not those after', async () => {
    const p = await parts();
    const now = Date.now();
    const before = entry({ issuedAt: now - 5000 });
    const after = entry({ issuedAt: now + 5000 });
    const elsewhere = entry({ iss: 'https://other.example', issuedAt: now - 5000 });
    for (const e of [before, after, elsewhere]) await p.store.claim(e, now);
    await p.publisher.start();
    await revoke(p, { kind: 'issuer', iss: ISS, cutoff: now });
    await p.publisher.round();
    const { list } = await published(p);
    expect(list.get(before.idx)).toBe(1);
    expect(list.get(after.idx)).toBe(0);
    expect(list.get(elsewhere.idx)).toBe(0);
  });

  it('flips an entry recorded after the rule that covers it (a logout racing a refresh)', async () => {
    const p = await parts();
    await p.publisher.start();
    const late = entry();
    await revoke(p, { kind: 'session', iss: ISS, sid: late.sid!, cutoff: Date.now() });
    await p.publisher.round();
    await p.store.claim(late, Date.now());
    await p.publisher.round();
    expect((await published(p)).list.get(late.idx)).toBe(1);
  });

  it('frees an entry at its freeAt: its bit back to 0, its index given to the next token', async () => {
    const p = await parts();
    const now = Date.now();
    const short = entry({ expiresAt: now + 100, freeAt: now + 300 });
    await p.store.claim(short, now);
    await p.publisher.start();
    await revoke(p, { kind: 'token', iss: ISS, tokenId: short.jti, expiresAt: short.expiresAt });
    await p.publisher.round();
    expect((await published(p)).list.get(short.idx)).toBe(1);
    // Control: while it is held, the store refuses the index to another token.
    expect(await p.store.claim(entry({ idx: short.idx }), Date.now())).toBeUndefined();
    await vi.waitFor(
      async () => {
        await p.publisher.round();
        expect(p.publisher.entries.get(short.idx)).toBeUndefined();
      },
      { timeout: 5000, interval: 50 },
    );
    expect((await published(p)).list.get(short.idx)).toBe(0);
    expect(await p.store.claim(entry({ idx: short.idx }), Date.now())).toBeDefined();
  });

  it('counts a round the store fails, keeps serving within ttl, then answers ERR_REVOCATION_STALE', async () => {
    const p = await parts();
    let down = false;
    let skewMs = 0;
    const errors: unknown[] = [];
    const failing: StatusListStore = {
      claim: (entry, now) => p.store.claim(entry, now),
      readAfter: (seq, limit) =>
        down
          ? Promise.reject(new RevocableError('ERR_LOG_UNAVAILABLE', 'down'))
          : p.store.readAfter(seq, limit),
      purge: (now) => p.store.purge(now),
      lastSeq: () => p.store.lastSeq(),
    };
    const publisher = new StatusListPublisher({
      uri: URI,
      listId: '1',
      size: 1024,
      store: failing,
      log: p.log,
      replica: p.replica,
      keys: p.keys,
      intervalMs: 1000, // stale after max(ttl, 2 intervals) + 1 s = 31 s
      ttlSec: 30,
      clock: () => Date.now() + skewMs,
      onError: (error) => errors.push(error),
    });
    await publisher.start();
    const served = publisher.current().token;
    down = true;
    await publisher.round();
    expect(errors.length).toBeGreaterThanOrEqual(1);
    for (const error of errors) expect(error).toMatchObject({ code: 'ERR_LOG_UNAVAILABLE' });
    expect(publisher.current().token).toBe(served); // within ttl: the last list still stands
    skewMs = 32_000; // past ttl (30 s) and the second of slack
    await publisher.round();
    expect(() => publisher.current()).toThrow(expect.objectContaining({ code: 'ERR_REVOCATION_STALE' }));
    // Control: the store back, the next round signs a fresh list.
    down = false;
    await publisher.round();
    expect(publisher.current().token).not.toBe(served);
    await publisher.stop();
  });

  it('serves nothing (ERR_REVOCATION_STALE) while its replica has never been fresh', async () => {
    const p = await parts({ follow: false });
    await p.store.claim(entry(), Date.now());
    await p.publisher.start();
    expect(() => p.publisher.current()).toThrow(expect.objectContaining({ code: 'ERR_REVOCATION_STALE' }));
    // Control: once the replica follows the log, the same publisher serves a list.
    await p.follower.start();
    await p.publisher.round();
    expect(p.publisher.current().token).toEqual(expect.any(String));
  });
});

describe('StatusListIssuer', () => {
  async function issuerOn(p: Parts) {
    const issuer = new AccessTokenIssuer({ keys: p.keys, issuer: ISS, audience: 'api', policy });
    return new StatusListIssuer({
      issuer,
      store: p.store,
      publisher: p.publisher,
      listId: '1',
      uri: URI,
      holdAfterExpiryMs: 90_000,
    });
  }

  it('gives every token a distinct index and records its facts, held until exp plus the hold', async () => {
    const p = await parts();
    await p.publisher.start();
    const issuer = await issuerOn(p);
    const issued = await Promise.all(
      Array.from({ length: 50 }, (_, i) => issuer.issue({ sub: `u${i % 5}`, sid: `s${i}` })),
    );
    const indexes = issued.map((t) => (t.claims['status'] as any).status_list.idx as number);
    expect(new Set(indexes).size).toBe(50);
    const stored = await p.store.readAfter(0);
    expect(stored).toHaveLength(50);
    const first = issued[0]!;
    const kid = JSON.parse(Buffer.from(first.token.split('.')[0]!, 'base64url').toString()).kid;
    expect(stored.find((e) => e.idx === indexes[0])).toMatchObject({
      iss: ISS,
      sub: 'u0',
      sid: 's0',
      kid,
      jti: first.claims.jti,
      issuedAt: Math.round(first.claims.iat * 1000),
      expiresAt: first.claims.exp * 1000,
      freeAt: first.claims.exp * 1000 + 90_000,
    });
    expect((first.claims['status'] as any).status_list.uri).toBe(URI);
  });

  it('does not let a session claim point a token at another entry', async () => {
    const p = await parts();
    await p.publisher.start();
    const issuer = await issuerOn(p);
    const forged = { status_list: { idx: 3, uri: 'https://evil.example/list' } };
    const issued = await issuer.issue({ sub: 'u', claims: { status: forged } });
    expect((issued.claims['status'] as any).status_list.uri).toBe(URI);
  });

  it('answers ERR_UNAVAILABLE (503) once every index of the list is held', async () => {
    const p = await parts({ size: 8 });
    await p.publisher.start();
    const issuer = await issuerOn(p);
    for (let i = 0; i < 8; i++) await issuer.issue({ sub: `u${i}` });
    await expect(issuer.issue({ sub: 'one-too-many' })).rejects.toMatchObject({
      code: 'ERR_UNAVAILABLE',
      status: 503,
    });
  });
});

describe('acceptsStatusListJwt', () => {
  it.each([
    [undefined, true],
    ['', true],
    ['application/statuslist+jwt', true],
    ['Application/StatusList+JWT; charset=utf-8', true],
    ['application/json, application/statuslist+jwt;q=0.5', true],
    ['*/*', true],
    ['application/*', true],
    ['application/json', false],
    ['application/statuslist+jwt;q=0', false],
    ['application/statuslist+cwt', false],
    ['text/*', false],
  ])('Accept %j: %s', (accept, expected) => {
    expect(acceptsStatusListJwt(accept)).toBe(expected);
  });
});
