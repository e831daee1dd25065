import {
  AccessTokenIssuer,
  type FeedMessage,
  type FeedSource,
  KeyRing,
  LogFeedSource,
  MemoryRevocationLog,
  Replica,
  ReplicaFollower,
  type RevocableError,
  type RevocationEvent,
  type RevocationRequest,
  Revoker,
  type TokenFacts,
  Verifier,
} from '@revocable/core';
import { TokenIdTable } from '@revocable/core/internal';
import { afterEach, describe, expect, it, vi } from 'vitest';

const ISS = 'https://auth.example';
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

function facts(over: Partial<TokenFacts> = {}): TokenFacts {
  return {
    tokenId: 'jti-1',
    iss: ISS,
    sub: 'user-1',
    sid: 'sess-1',
    kid: 'kid-1',
    issuedAtMs: T0,
    expiresAtMs: T0 + 600_000,
    ...over,
  };
}

function event(seq: number, rule: RevocationEvent['rule'], forgetAfter = T0 + 3_600_000): RevocationEvent {
  return { seq, rule, reason: 'admin', actor: 'admin:test', recordedAt: T0, forgetAfter };
}

const replicas: Replica[] = [];
function freshReplica(now: () => number, options: ConstructorParameters<typeof Replica>[0] = {}): Replica {
  const replica = new Replica({ clock: now, purgeIntervalMs: 0, ...options });
  replica.load({ events: [], seq: 0, takenAt: now() });
  replicas.push(replica);
  return replica;
}
afterEach(() => {
  for (const r of replicas.splice(0)) r.close();
});

describe('rules match at millisecond precision', () => {
  const now = () => T0 + 1000;
  const cases = [
    ['session', { kind: 'session', iss: ISS, sid: 'sess-1', cutoff: T0 + 500 }],
    ['subject', { kind: 'subject', iss: ISS, sub: 'user-1', cutoff: T0 + 500 }],
    ['issuer', { kind: 'issuer', iss: ISS, cutoff: T0 + 500 }],
  ] as const;
  for (const [kind, rule] of cases) {
    it(`a ${kind} cutoff rejects a token issued at or before it and accepts one issued 1 ms after`, () => {
      const replica = freshReplica(now);
      replica.apply(event(1, rule));
      expect(replica.check(facts({ issuedAtMs: T0 + 499 }))).toBe(kind);
      expect(replica.check(facts({ issuedAtMs: T0 + 500 }))).toBe(kind);
      expect(replica.check(facts({ issuedAtMs: T0 + 501 }))).toBeUndefined();
    });
  }

  it('a session cutoff does not touch other sessions, subjects or issuers', () => {
    const replica = freshReplica(now);
    replica.apply(event(1, { kind: 'session', iss: ISS, sid: 'sess-1', cutoff: T0 + 500 }));
    expect(replica.check(facts({ sid: 'sess-2' }))).toBeUndefined();
    expect(replica.check(facts({ sid: undefined }))).toBeUndefined();
    expect(replica.check(facts({ iss: 'https://other.example' }))).toBeUndefined();
  });

  it('a token rule rejects that token id only, until its expiry', () => {
    let t = T0;
    const replica = freshReplica(() => t, { maxStalenessMs: 1e12 });
    replica.apply(
      event(1, { kind: 'token', iss: ISS, tokenId: 'jti-1', expiresAt: T0 + 60_000 }, T0 + 60_000),
    );
    expect(replica.check(facts())).toBe('token');
    expect(replica.check(facts({ tokenId: 'jti-2' }))).toBeUndefined();
    t = T0 + 60_000;
    expect(replica.check(facts())).toBeUndefined();
  });

  it('a key rule rejects every token of that key whatever its iat', () => {
    const replica = freshReplica(now);
    replica.apply(event(1, { kind: 'key', iss: ISS, kid: 'kid-1', expiresAt: T0 + 600_000 }));
    expect(replica.check(facts({ issuedAtMs: T0 + 999 }))).toBe('key');
    expect(replica.check(facts({ kid: 'kid-2' }))).toBeUndefined();
  });

  it('a later cutoff supersedes an earlier one and an earlier one arriving late changes nothing', () => {
    const replica = freshReplica(now);
    replica.apply(event(1, { kind: 'subject', iss: ISS, sub: 'user-1', cutoff: T0 + 500 }));
    replica.apply(event(2, { kind: 'subject', iss: ISS, sub: 'user-1', cutoff: T0 + 100 }));
    expect(replica.check(facts({ issuedAtMs: T0 + 400 }))).toBe('subject');
    replica.apply(event(3, { kind: 'subject', iss: ISS, sub: 'user-1', cutoff: T0 + 800 }));
    expect(replica.check(facts({ issuedAtMs: T0 + 700 }))).toBe('subject');
  });

  it('applying an event twice is harmless and events at or below lastSeq are ignored', () => {
    const replica = freshReplica(now);
    const e = event(1, { kind: 'token', iss: ISS, tokenId: 'jti-1', expiresAt: T0 + 60_000 });
    expect(replica.apply(e)).toBe(true);
    expect(replica.apply(e)).toBe(false);
    expect(replica.stats().tokens).toBe(1);
    expect(replica.lastSeq).toBe(1);
  });
});

describe('token, allow and key rules are scoped by issuer', () => {
  const A = ISS;
  const B = 'https://other.example';
  const now = () => T0 + 1000;
  const tokenRule = { kind: 'token', iss: A, tokenId: 'jti-1', expiresAt: T0 + 600_000 } as const;
  const keyRule = { kind: 'key', iss: A, kid: 'kid-1', expiresAt: T0 + 600_000 } as const;
  const allowRule = { kind: 'allow', iss: A, tokenId: 'jti-1', expiresAt: T0 + 600_000 } as const;

  it("control: A's token rule rejects A's token, A's key rule A's key, A's allow rule admits A's token", () => {
    const tokens = freshReplica(now);
    tokens.apply(event(1, tokenRule));
    expect(tokens.check(facts({ iss: A }))).toBe('token');
    const keys = freshReplica(now);
    keys.apply(event(1, keyRule));
    expect(keys.check(facts({ iss: A }))).toBe('key');
    const allowed = freshReplica(now, { allowlist: true });
    expect(allowed.check(facts({ iss: A }))).toBe('allowlist');
    allowed.apply(event(1, allowRule));
    expect(allowed.check(facts({ iss: A }))).toBeUndefined();
  });

  it("A's token rule does not reject B's token with the same jti", () => {
    const replica = freshReplica(now);
    replica.apply(event(1, tokenRule));
    expect(replica.check(facts({ iss: B }))).toBeUndefined();
    expect(replica.check(facts({ iss: A }))).toBe('token');
  });

  it("A's key rule does not reject B's token with the same kid", () => {
    const replica = freshReplica(now);
    replica.apply(event(1, keyRule));
    expect(replica.check(facts({ iss: B }))).toBeUndefined();
    expect(replica.check(facts({ iss: A }))).toBe('key');
  });

  it("in allowlist mode A's allow rule does not admit B's token with the same jti", () => {
    const replica = freshReplica(now, { allowlist: true });
    replica.apply(event(1, allowRule));
    expect(replica.check(facts({ iss: B }))).toBe('allowlist');
    expect(replica.check(facts({ iss: A }))).toBeUndefined();
  });

  it('keeps the scope through a snapshot load, whatever order the issuers are asked in', () => {
    const replica = freshReplica(now, { allowlist: true });
    replica.load({ events: [event(1, tokenRule), event(2, keyRule)], seq: 2, takenAt: now() });
    replica.apply(event(3, { ...allowRule, iss: B, tokenId: 'jti-2' }));
    for (const iss of [B, A, B, A]) {
      expect(replica.check(facts({ iss }))).toBe(iss === A ? 'token' : 'allowlist');
      expect(replica.check(facts({ iss, tokenId: 'jti-2' }))).toBe(iss === A ? 'key' : undefined);
    }
  });

  it('the Revoker scopes revokeToken, revokeKey and allow by the issuer it is given', async () => {
    const clock = now;
    const log = new MemoryRevocationLog({ clock });
    const replica = freshReplica(clock, { allowlist: true });
    const follower = new ReplicaFollower(replica, new LogFeedSource(log));
    await follower.start();
    const revoker = new Revoker(log, clock);
    const audit = { reason: 'admin', actor: 'admin:test' } as const;
    await revoker.allow(facts({ iss: A, tokenId: 'jti-a' }));
    await revoker.allow(facts({ iss: B, tokenId: 'jti-b' }));
    await revoker.allow(facts({ iss: B, tokenId: 'jti-k' }));
    await revoker.revokeToken(facts({ iss: A, tokenId: 'jti-b' }), audit);
    await revoker.revokeKey(A, 'kid-a', T0 + 600_000, audit);
    await vi.waitFor(() => expect(replica.lastSeq).toBe(5));
    expect(replica.check(facts({ iss: A, tokenId: 'jti-a' }))).toBeUndefined();
    expect(replica.check(facts({ iss: B, tokenId: 'jti-a' }))).toBe('allowlist');
    expect(replica.check(facts({ iss: B, tokenId: 'jti-b' }))).toBeUndefined();
    expect(replica.check(facts({ iss: A, tokenId: 'jti-b' }))).toBe('token');
    expect(replica.check(facts({ iss: B, tokenId: 'jti-k', kid: 'kid-a' }))).toBeUndefined();
    expect(replica.check(facts({ iss: A, tokenId: 'jti-a', kid: 'kid-a' }))).toBe('key');
    follower.stop();
  });

  describe('a rule recorded without an issuer, before rules were scoped, still matches every issuer', () => {
    // What a log written by an older version holds: nothing it revoked may become valid by the upgrade.
    const unscoped = {
      token: { kind: 'token', tokenId: 'jti-1', expiresAt: T0 + 600_000 },
      key: { kind: 'key', kid: 'kid-1', expiresAt: T0 + 600_000 },
      allow: { kind: 'allow', tokenId: 'jti-1', expiresAt: T0 + 600_000 },
    } as const;

    for (const how of ['applied', 'loaded'] as const) {
      it(`token and key rules, ${how}`, () => {
        for (const rule of [unscoped.token, unscoped.key]) {
          const replica = freshReplica(now);
          if (how === 'applied') replica.apply(event(1, rule));
          else replica.load({ events: [event(1, rule)], seq: 1, takenAt: now() });
          for (const iss of [A, B]) expect(replica.check(facts({ iss }))).toBe(rule.kind);
          expect(replica.check(facts({ tokenId: 'jti-2', kid: 'kid-2' }))).toBeUndefined();
        }
      });

      it(`allow rules, ${how}`, () => {
        const replica = freshReplica(now, { allowlist: true });
        if (how === 'applied') replica.apply(event(1, unscoped.allow));
        else replica.load({ events: [event(1, unscoped.allow)], seq: 1, takenAt: now() });
        for (const iss of [A, B]) expect(replica.check(facts({ iss }))).toBeUndefined();
        expect(replica.check(facts({ tokenId: 'jti-2' }))).toBe('allowlist');
      });
    }

    it('so does a rule whose iss no log would store (null, a number): a damaged entry errs on the safe side', () => {
      for (const iss of [null, 7, '']) {
        const replica = freshReplica(now);
        replica.apply(event(1, { ...unscoped.token, iss } as unknown as RevocationEvent['rule']));
        replica.apply(event(2, { ...unscoped.key, iss } as unknown as RevocationEvent['rule']));
        for (const other of [A, B]) {
          expect(replica.check(facts({ iss: other }))).toBe('token');
          expect(replica.check(facts({ iss: other, tokenId: 'jti-2' }))).toBe('key');
        }
      }
    });

    it('until it is forgotten, while scoped rules beside it keep their issuer', () => {
      let t = T0 + 1000;
      const replica = freshReplica(() => t, { maxStalenessMs: 1e12 });
      replica.apply(event(1, unscoped.token, T0 + 60_000));
      replica.apply(event(2, { ...tokenRule, tokenId: 'jti-2' }));
      expect(replica.check(facts({ iss: B }))).toBe('token');
      expect(replica.check(facts({ iss: B, tokenId: 'jti-2' }))).toBeUndefined();
      t = T0 + 60_000;
      replica.purge(t);
      expect(replica.check(facts({ iss: B }))).toBeUndefined();
      expect(replica.check(facts({ iss: A, tokenId: 'jti-2' }))).toBe('token');
      expect(replica.check(facts({ iss: B, tokenId: 'jti-2' }))).toBeUndefined();
    });
  });
});

describe('issued tokens and cutoffs end to end', () => {
  it('logout-all at T rejects a token issued at T and accepts a login at T+1 ms, within the same second', async () => {
    let t = T0 + 250;
    const clock = () => t;
    const ring = await KeyRing.open({ clock });
    const log = new MemoryRevocationLog({ clock });
    const replica = new Replica({ clock, purgeIntervalMs: 0 });
    replicas.push(replica);
    const follower = new ReplicaFollower(replica, new LogFeedSource(log));
    await follower.start();
    const issuer = new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: 'api', clock });
    const verifier = new Verifier({ keys: ring, issuer: ISS, audience: 'api', revocation: replica, clock });

    const before = issuer.issue({ sub: 'user-1', sid: 's1' }).token;
    t += 1;
    const atCutoff = issuer.issue({ sub: 'user-1', sid: 's2' }).token;
    await new Revoker(log, clock).revokeSubject(ISS, 'user-1', {
      reason: 'logout_all',
      actor: 'user:user-1',
    });
    t += 1;
    const after = issuer.issue({ sub: 'user-1', sid: 's3' }).token;

    for (const token of [before, atCutoff]) {
      expect(() => verifier.verifySync(token)).toThrowError(
        expect.objectContaining({ code: 'ERR_TOKEN_REVOKED', rule: 'subject' }),
      );
    }
    expect(verifier.verifySync(after).claims.sid).toBe('s3');
    follower.stop();
  });

  it('reads a whole-second iat as the start of that second, so a cutoff rejects the rest of its second', () => {
    const replica = freshReplica(() => T0 + 2000);
    replica.apply(event(1, { kind: 'subject', iss: ISS, sub: 'user-1', cutoff: T0 + 500 }));
    // An external token with iat = T0/1000 (whole seconds) issued at T0 + 900 ms looks issued at T0.
    expect(replica.check(facts({ issuedAtMs: T0 }))).toBe('subject');
    expect(replica.check(facts({ issuedAtMs: T0 + 1000 }))).toBeUndefined();
  });
});

describe("a revoked token stays revoked through the verifier's clock tolerance after exp", () => {
  /** One issuer, a memory log, a following replica and a verifier with the default 5 s tolerance, on one fixed clock. */
  async function world(options: { allowlist?: boolean } = {}) {
    let t = T0;
    const clock = () => t;
    const ring = await KeyRing.open({ clock });
    const log = new MemoryRevocationLog({ clock });
    const replica = new Replica({ clock, purgeIntervalMs: 0, maxStalenessMs: 1e12, ...options });
    replicas.push(replica);
    const follower = new ReplicaFollower(replica, new LogFeedSource(log, { heartbeatMs: 3_600_000 }));
    await follower.start();
    const issuer = new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: 'api', clock });
    const verifier = new Verifier({ keys: ring, issuer: ISS, audience: 'api', revocation: replica, clock });
    const issued = issuer.issue({ sub: 'user-1', sid: 's1' });
    const expMs = issued.claims.exp * 1000;
    return {
      log,
      replica,
      follower,
      verifier,
      issued,
      expMs,
      revoker: new Revoker(log, clock),
      at: (ms: number) => {
        t = ms;
      },
      /** Purges the replica and the log as fully as they allow at the current time. */
      purgeAll: async () => {
        for (let i = 0; i < 100; i++) replica.purge(t);
        await log.purge(t);
      },
      /** A replica bootstrapped now from the log's snapshot, as a process starting now would be. */
      fresh: async () => {
        const late = new Replica({ clock, purgeIntervalMs: 0, maxStalenessMs: 1e12, ...options });
        replicas.push(late);
        late.load(await log.snapshot());
        return new Verifier({ keys: ring, issuer: ISS, audience: 'api', revocation: late, clock });
      },
    };
  }

  const revoked = (rule: string) => expect.objectContaining({ code: 'ERR_TOKEN_REVOKED', rule });

  it('a token rule made at exp - 1 ms still rejects the token at exp and exp + 4 s, after purges and in a new replica', async () => {
    const w = await world();
    const verified = w.verifier.verifySync(w.issued.token);
    w.at(w.expMs - 1);
    await w.revoker.revokeToken(verified.facts, { reason: 'logout', actor: 'user:user-1' });
    expect(() => w.verifier.verifySync(w.issued.token)).toThrowError(revoked('token'));
    for (const ms of [w.expMs, w.expMs + 4_000]) {
      w.at(ms);
      await w.purgeAll();
      expect(() => w.verifier.verifySync(w.issued.token)).toThrowError(revoked('token'));
      const late = await w.fresh();
      expect(() => late.verifySync(w.issued.token)).toThrowError(revoked('token'));
    }
    w.at(w.expMs + 5_000);
    expect(() => w.verifier.verifySync(w.issued.token)).toThrowError(
      expect.objectContaining({ code: 'ERR_TOKEN_EXPIRED' }),
    );
    w.follower.stop();
  });

  it("a key rule that ends at the key's last exp still rejects that key's token at exp + 4 s", async () => {
    const w = await world();
    const { kid } = w.verifier.verifySync(w.issued.token).facts;
    w.at(w.expMs - 1);
    await w.revoker.revokeKey(ISS, kid, w.expMs, { reason: 'key_compromise', actor: 'admin:ops' });
    w.at(w.expMs + 4_000);
    await w.purgeAll();
    expect(() => w.verifier.verifySync(w.issued.token)).toThrowError(revoked('key'));
    const late = await w.fresh();
    expect(() => late.verifySync(w.issued.token)).toThrowError(revoked('key'));
    w.follower.stop();
  });

  it('in allowlist mode a recorded token is still accepted at exp + 4 s, while the verifier accepts it', async () => {
    const w = await world({ allowlist: true });
    await w.revoker.allow({ iss: ISS, tokenId: w.issued.claims.jti!, expiresAtMs: w.expMs });
    w.at(w.expMs + 4_000);
    await w.purgeAll();
    expect(w.verifier.verifySync(w.issued.token).claims.sub).toBe('user-1');
    expect((await w.fresh()).verifySync(w.issued.token).claims.sub).toBe('user-1');
    w.follower.stop();
  });
});

describe('loading a snapshot', () => {
  const snapshotOf = (tokens: number, allowed: number) => ({
    events: [
      ...Array.from({ length: tokens }, (_, i) =>
        event(i + 1, { kind: 'token', iss: ISS, tokenId: `t${i}`, expiresAt: T0 + 600_000 }),
      ),
      ...Array.from({ length: allowed }, (_, i) =>
        event(tokens + i + 1, { kind: 'allow', iss: ISS, tokenId: `a${i}`, expiresAt: T0 + 600_000 }),
      ),
    ],
    seq: tokens + allowed,
    takenAt: T0,
  });

  it('sizes the id tables from the snapshot, so a load does not end in the middle of a growth', () => {
    const replica = freshReplica(() => T0);
    // 25,077 ids overflow 2^15 slots at 24,577: grown from the default size, the table would still be
    // moving entries out of the 2^15-slot table into a 2^16-slot one.
    replica.load(snapshotOf(25_077, 1_000));
    const presized =
      new TokenIdTable({ initialCapacity: 25_077 }).byteLength +
      new TokenIdTable({ initialCapacity: 1_000 }).byteLength;
    expect(replica.stats()).toMatchObject({ tokens: 25_077, allowed: 1_000, tokenTableBytes: presized });
    expect(replica.check(facts({ tokenId: 't25076' }))).toBe('token');
  });

  it('gives the memory back when a later snapshot is smaller', () => {
    const replica = freshReplica(() => T0);
    replica.load(snapshotOf(50_000, 0));
    const big = replica.stats().tokenTableBytes;
    replica.load(snapshotOf(10, 0));
    expect(replica.stats().tokenTableBytes).toBeLessThan(big / 10);
    expect(replica.check(facts({ tokenId: 't9' }))).toBe('token');
    expect(replica.check(facts({ tokenId: 't10' }))).toBeUndefined();
  });
});

describe('lag figures', () => {
  it('counts the events it is behind the highest seq it knows of, from events and from the follower', () => {
    const t = T0;
    const replica = freshReplica(() => t, { maxStalenessMs: 1e12 });
    expect(replica.stats()).toMatchObject({ sourceSeq: 0, behind: 0 });
    replica.apply(event(1, { kind: 'token', iss: ISS, tokenId: 'a', expiresAt: T0 + 60_000 }));
    expect(replica.stats()).toMatchObject({ lastSeq: 1, sourceSeq: 1, behind: 0 });
    replica.noteSourceSeq(5); // a heartbeat, or event 5 arriving before 2-4
    expect(replica.stats()).toMatchObject({ lastSeq: 1, sourceSeq: 5, behind: 4 });
    replica.noteSourceSeq(3); // older news changes nothing
    for (const bad of [Number.NaN, -1, 2.5, Number.POSITIVE_INFINITY]) replica.noteSourceSeq(bad);
    expect(replica.stats()).toMatchObject({ sourceSeq: 5, behind: 4 });
    replica.apply(event(2, { kind: 'token', iss: ISS, tokenId: 'b', expiresAt: T0 + 60_000 }));
    expect(replica.stats().behind).toBe(3);
    replica.apply(event(7, { kind: 'token', iss: ISS, tokenId: 'c', expiresAt: T0 + 60_000 }));
    expect(replica.stats()).toMatchObject({ lastSeq: 7, sourceSeq: 7, behind: 0 });
    replica.load({ events: [], seq: 4, takenAt: t }); // a snapshot is the source's word as of its seq
    expect(replica.stats()).toMatchObject({ lastSeq: 4, sourceSeq: 4, behind: 0 });
  });

  it('reports the age of the newest event applied or loaded, by the time the log recorded it', () => {
    let t = T0;
    const replica = new Replica({ clock: () => t, purgeIntervalMs: 0, maxStalenessMs: 1e12 });
    replicas.push(replica);
    expect(replica.stats().lastEventAgeMs).toBe(Number.POSITIVE_INFINITY);
    const recorded = (seq: number, at: number): RevocationEvent => ({
      ...event(seq, { kind: 'subject', iss: ISS, sub: `u${seq}`, cutoff: at }),
      recordedAt: at,
    });
    replica.load({ events: [recorded(2, T0 - 5_000), recorded(3, T0 - 2_000)], seq: 3, takenAt: T0 });
    expect(replica.stats()).toMatchObject({ lastEventAt: T0 - 2_000, lastEventAgeMs: 2_000 });
    t = T0 + 1_000;
    replica.apply(recorded(4, T0 + 400));
    expect(replica.stats()).toMatchObject({ lastEventAt: T0 + 400, lastEventAgeMs: 600 });
    replica.apply(recorded(4, T0 + 900)); // a duplicate is not applied
    expect(replica.stats().lastEventAt).toBe(T0 + 400);
  });
});

describe('staleness', () => {
  it('fail-closed: rejects with ERR_REVOCATION_STALE once older than maxStaleness, and recovers on news', () => {
    let t = T0;
    const replica = freshReplica(() => t, { maxStalenessMs: 1000 });
    t += 1000;
    expect(replica.check(facts())).toBeUndefined();
    t += 1;
    expect(() => replica.check(facts())).toThrowError(
      expect.objectContaining({ code: 'ERR_REVOCATION_STALE' }),
    );
    expect(replica.stats().stale).toBe(true);
    replica.markFresh();
    expect(replica.check(facts())).toBeUndefined();
  });

  it('a replica that was never loaded is stale', () => {
    const replica = new Replica({ purgeIntervalMs: 0 });
    replicas.push(replica);
    expect(() => replica.check(facts())).toThrowError(
      expect.objectContaining({ code: 'ERR_REVOCATION_STALE' }),
    );
  });

  it('fail-open: accepts unrevoked tokens, still rejects known revocations, and counts', () => {
    let t = T0;
    const replica = freshReplica(() => t, { maxStalenessMs: 1000, stalePolicy: 'fail-open' });
    replica.apply(event(1, { kind: 'token', iss: ISS, tokenId: 'jti-1', expiresAt: T0 + 600_000 }));
    t += 5000;
    expect(replica.check(facts({ tokenId: 'jti-2' }))).toBeUndefined();
    expect(replica.check(facts())).toBe('token');
    expect(replica.stats().staleAccepts).toBe(1); // the rejected one is not an accept
  });

  it('introspect: the async verify asks the issuer while stale and follows its answer', async () => {
    let t = T0;
    const clock = () => t;
    const ring = await KeyRing.open({ clock });
    const issuer = new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: 'api', clock });
    const inactive = new Set<string>();
    const replica = freshReplica(clock, {
      maxStalenessMs: 1000,
      stalePolicy: 'introspect',
      introspect: async (f) => !inactive.has(f.tokenId),
    });
    const verifier = new Verifier({ keys: ring, issuer: ISS, audience: 'api', revocation: replica, clock });
    const good = issuer.issue({ sub: 'u' });
    const bad = issuer.issue({ sub: 'u' });
    inactive.add(bad.claims.jti!);
    t += 5000;
    expect(() => verifier.verifySync(good.token)).toThrowError(
      expect.objectContaining({ code: 'ERR_REVOCATION_STALE' }),
    );
    await expect(verifier.verify(good.token)).resolves.toMatchObject({ claims: { sub: 'u' } });
    await expect(verifier.verify(bad.token)).rejects.toMatchObject({
      code: 'ERR_TOKEN_REVOKED',
    } satisfies Partial<RevocableError>);
  });
});

describe('allowlist mode', () => {
  it('accepts only tokens recorded at issue time, and a token rule still wins', () => {
    const replica = freshReplica(() => T0, { allowlist: true });
    expect(replica.check(facts())).toBe('allowlist');
    replica.apply(event(1, { kind: 'allow', iss: ISS, tokenId: 'jti-1', expiresAt: T0 + 600_000 }));
    expect(replica.check(facts())).toBeUndefined();
    replica.apply(event(2, { kind: 'token', iss: ISS, tokenId: 'jti-1', expiresAt: T0 + 600_000 }));
    expect(replica.check(facts())).toBe('token');
  });
});

/**
 * A real feed over a memory log that loses the events the test chooses, and every heartbeat: only an
 * event arriving ahead of a lost one can tell the follower that it missed something.
 */
class LossyFeed implements FeedSource {
  readonly dropped = new Set<number>();
  constructor(readonly inner: LogFeedSource) {}
  snapshot() {
    return this.inner.snapshot();
  }
  readAfter(seq: number, limit?: number) {
    return this.inner.readAfter(seq, limit);
  }
  follow(after: number, onMessage: (m: FeedMessage) => void) {
    return this.inner.follow(after, (m) => {
      if (m.type === 'heartbeat' || this.dropped.has(m.event.seq)) return;
      onMessage(m);
    });
  }
}

describe('following a feed', () => {
  it('bootstraps from a snapshot, then fills a gap by itself when the next event arrives ahead of it', async () => {
    const log = new MemoryRevocationLog();
    const revoker = new Revoker(log);
    const revoke = (tokenId: string) =>
      revoker.revokeToken(
        { iss: ISS, tokenId, expiresAtMs: Date.now() + 60_000 },
        { reason: 'logout', actor: 'system' },
      );
    await revoke('a');
    const feed = new LossyFeed(new LogFeedSource(log, { heartbeatMs: 5 }));
    feed.dropped.add(2);
    const replica = new Replica({ purgeIntervalMs: 0 });
    replicas.push(replica);
    const follower = new ReplicaFollower(replica, feed);
    await follower.start();
    expect(replica.lastSeq).toBe(1);
    await revoke('b');
    await new Promise((resolve) => setTimeout(resolve, 50)); // heartbeats would have told by now
    expect(replica.lastSeq).toBe(1); // seq 2 was lost on the wire, and nothing says so yet
    await revoke('c'); // arrives with seq 3: a gap, so the follower reads 2 and 3 itself
    await vi.waitFor(() => expect(replica.lastSeq).toBe(3), { timeout: 2_000, interval: 5 });
    expect(replica.check(facts({ tokenId: 'b', issuedAtMs: Date.now() }))).toBe('token');
    follower.stop();
  });
});

describe('bounded state', () => {
  it('holds only one token lifetime of revocations over ten simulated hours', async () => {
    let t = T0;
    const clock = () => t;
    const lifetimeMs = 600_000;
    const log = new MemoryRevocationLog({
      clock,
      policy: { maxTokenLifetimeMs: lifetimeMs, clockSkewMs: 60_000 },
    });
    const replica = new Replica({ clock, purgeIntervalMs: 0, maxStalenessMs: 1e12 });
    replicas.push(replica);
    const follower = new ReplicaFollower(replica, new LogFeedSource(log));
    await follower.start();
    const revoker = new Revoker(log, clock);
    let maxTokens = 0;
    let maxCutoffs = 0;
    let n = 0;
    const perMinute = 50;
    for (let minute = 0; minute < 600; minute++) {
      for (let i = 0; i < perMinute; i++) {
        t += 60_000 / perMinute;
        n++;
        await revoker.revokeToken(
          { iss: ISS, tokenId: `t${n}`, expiresAtMs: t + lifetimeMs },
          { reason: 'logout', actor: 'system' },
        );
        if (i % 10 === 0) await revoker.revokeSession(ISS, `s${n}`, { reason: 'logout', actor: 'system' });
      }
      for (let k = 0; k < 20; k++) replica.purge(t);
      await log.purge(t);
      const s = replica.stats();
      maxTokens = Math.max(maxTokens, s.tokens);
      maxCutoffs = Math.max(maxCutoffs, s.sessions);
    }
    // One lifetime + skew (11 min) of token rules (kept until exp + skew), one lifetime + skew (11 min)
    // of session rules, plus a purge tick.
    expect(maxTokens).toBeLessThanOrEqual(11 * perMinute);
    expect(maxCutoffs).toBeLessThanOrEqual(13 * (perMinute / 10));
    // The log's rows themselves (a snapshot would hide forgettable rows that purge failed to delete).
    const rows = await log.readAfter(0, 1_000_000);
    expect(rows.length).toBeLessThanOrEqual(13 * perMinute * 1.1);
    expect(rows[0]!.seq).toBe(await log.oldestSeq());
    expect(await log.oldestSeq()).toBeGreaterThan((await log.lastSeq()) - 13 * perMinute * 1.1);
    expect(n).toBe(30_000);
    follower.stop();
  });
});

describe('purging keeps up at any size', () => {
  it('holds about one token lifetime of revocations of every kind over a long simulated clock, in the replica and the log', async () => {
    let t = T0;
    const clock = () => t;
    const lifetimeMs = 120_000;
    const skewMs = 10_000;
    const policy = { maxTokenLifetimeMs: lifetimeMs, clockSkewMs: skewMs };
    const log = new MemoryRevocationLog({ clock, policy });
    // A small step (32 slots or entries) with 40 revocations of each kind per second: a fixed budget
    // per tick would fall behind, as 8,192 slots a second does with millions of entries.
    const replica = new Replica({
      clock,
      purgeIntervalMs: 0,
      purgeBudget: 32,
      policy,
      maxStalenessMs: 1e12,
    });
    replicas.push(replica);
    const follower = new ReplicaFollower(replica, new LogFeedSource(log, { heartbeatMs: 3_600_000 }));
    await follower.start();
    const perSecond = 40;
    const kinds = ['tokens', 'allowed', 'sessions', 'subjects', 'issuers', 'keys'] as const;
    const most = Object.fromEntries(kinds.map((kind) => [kind, 0])) as Record<(typeof kinds)[number], number>;
    let mostLogged = 0;
    let n = 0;
    const seconds = 20 * 60;
    for (let second = 1; second <= seconds; second++) {
      t = T0 + second * 1000;
      const requests: RevocationRequest[] = [];
      for (let i = 0; i < perSecond; i++) {
        n++;
        const audit = { reason: 'admin', actor: 'admin:test' } as const;
        requests.push(
          { rule: { kind: 'token', iss: ISS, tokenId: `t${n}`, expiresAt: t + lifetimeMs }, ...audit },
          { rule: { kind: 'allow', iss: ISS, tokenId: `a${n}`, expiresAt: t + lifetimeMs }, ...audit },
          { rule: { kind: 'session', iss: ISS, sid: `s${n}`, cutoff: t }, ...audit },
          { rule: { kind: 'subject', iss: ISS, sub: `u${n}`, cutoff: t }, ...audit },
          { rule: { kind: 'issuer', iss: `https://issuer-${n}.example`, cutoff: t }, ...audit },
          { rule: { kind: 'key', iss: ISS, kid: `k${n}`, expiresAt: t + lifetimeMs }, ...audit },
        );
      }
      await log.append(requests);
      replica.purge(t); // what the purge timer does once a second
      const stats = replica.stats();
      for (const kind of kinds) most[kind] = Math.max(most[kind], stats[kind]);
      if (second % 10 === 0) {
        mostLogged = Math.max(mostLogged, (await log.readAfter(0, 10_000_000)).length);
        await log.purge(t);
      }
    }
    expect(replica.lastSeq).toBe(6 * n);
    // Rules due at forgetAfter (lifetime + skew from now) are removed at the next tick; id tables are
    // swept in full passes of at most a quarter of the lifetime.
    const live = (perSecond * (lifetimeMs + skewMs)) / 1000;
    for (const kind of ['sessions', 'subjects', 'issuers', 'keys'] as const) {
      expect(most[kind], kind).toBeLessThanOrEqual(live + perSecond);
    }
    for (const kind of ['tokens', 'allowed'] as const) {
      expect(most[kind], kind).toBeLessThanOrEqual(
        live + (perSecond * lifetimeMs) / 4 / 1000 + 2 * perSecond,
      );
    }
    // The log really deletes: at most 10 s (its purge cadence) of forgettable rows beyond the live ones.
    expect(mostLogged).toBeLessThanOrEqual(6 * (live + 11 * perSecond));
    const rows = await log.readAfter(0, 10_000_000);
    expect(rows[0]!.seq).toBe(await log.oldestSeq());
    expect(await log.oldestSeq()).toBeGreaterThan(6 * n - 6 * (live + 10 * perSecond));
    expect(replica.check(facts({ tokenId: `t${n}`, issuedAtMs: t }))).toBe('token');
    follower.stop();
  });

  it('the purge timer sweeps a large table in steps of at most purgeBudget slots, one per macrotask, within one tick', () => {
    vi.useFakeTimers();
    try {
      let t = T0;
      const replica = new Replica({
        clock: () => t,
        purgeIntervalMs: 1_000,
        purgeBudget: 1_024,
        maxStalenessMs: 1e12,
      });
      replicas.push(replica);
      replica.load({
        events: Array.from({ length: 50_000 }, (_, i) =>
          event(i + 1, { kind: 'token', iss: ISS, tokenId: `t${i}`, expiresAt: T0 + 60_000 }, T0 + 60_000),
        ),
        seq: 50_000,
        takenAt: T0,
      });
      t = T0 + 600_000; // every rule is forgettable, and a lifetime has passed: a full pass is owed
      vi.advanceTimersByTime(1_000); // the first tick: one step
      const tick = Date.now();
      let left = replica.stats().tokens;
      expect(left).toBeGreaterThan(50_000 - 1_024 - 1);
      let steps = 1;
      while (left > 0 && steps < 1_000) {
        vi.advanceTimersToNextTimer();
        // Fake timers run an immediate made during a tick 1 ms later; the next tick is 1 s later.
        expect(Date.now(), 'the next step runs at once, not at the next tick').toBeLessThan(tick + 1_000);
        const now = replica.stats().tokens;
        expect(left - now).toBeLessThanOrEqual(1_024);
        left = now;
        steps++;
      }
      expect(left).toBe(0);
      expect(steps).toBeGreaterThanOrEqual(50_000 / 1_024);
    } finally {
      vi.useRealTimers();
    }
  });
});
