import { afterEach, describe, expect, it } from 'vitest';
import type { RefreshTokenRecord, SessionRecord, SessionStore } from '../internal.js';

/** A fresh, empty store on its own storage, and how to release it. */
export interface SessionStoreUnderTest {
  readonly store: SessionStore;
  readonly cleanup?: () => Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
let counter = 0;

function session(over: Partial<SessionRecord> = {}): SessionRecord {
  counter++;
  return {
    id: `sid-${counter}-${Math.random().toString(36).slice(2)}`,
    sub: 'user-1',
    clientId: 'web',
    createdAt: T0 + counter,
    lastSeenAt: T0,
    idleExpiresAt: T0 + HOUR,
    absoluteExpiresAt: T0 + 24 * HOUR,
    scope: 'read write',
    claims: { tenant: 'acme', roles: ['a', 'b'] },
    refreshGeneration: 1,
    device: 'Mozilla/5.0',
    ip: '203.0.113.7',
    endedAt: null,
    endReason: null,
    ...over,
  };
}

function token(s: SessionRecord, hash: string, over: Partial<RefreshTokenRecord> = {}): RefreshTokenRecord {
  return {
    hash,
    sessionId: s.id,
    generation: 1,
    createdAt: T0,
    expiresAt: T0 + HOUR,
    consumedAt: null,
    superseded: false,
    ...over,
  };
}

const next = (hash: string, at = T0 + 1000) => ({
  hash,
  createdAt: at,
  expiresAt: at + HOUR,
  consumedAt: null,
});
const touch = (now = T0 + 1000) => ({ now, idleExpiresAt: now + HOUR, device: 'curl/8', ip: '198.51.100.1' });

/**
 * Registers the `SessionStore` contract (see `SessionStore` in `@revocable/core`) as a vitest suite
 * against one backend: rotation where exactly one caller wins, one sibling per spent token, the
 * superseded branch that never earns one, ending, listing and purging.
 *
 * @example
 * ```ts
 * import { describeSessionStoreContract } from '@revocable/core/testing';
 * describeSessionStoreContract('memory', async () => ({ store: new MemorySessionStore() }));
 * ```
 */
export function describeSessionStoreContract(name: string, open: () => Promise<SessionStoreUnderTest>): void {
  describe(`SessionStore contract: ${name}`, () => {
    let current: SessionStoreUnderTest | undefined;
    const fresh = async () => {
      current = await open();
      return current.store;
    };
    afterEach(async () => {
      await current?.cleanup?.();
      current = undefined;
    });

    it('stores a session and its first refresh token, and returns them equal', async () => {
      const store = await fresh();
      const s = session();
      await store.createSession(s, token(s, 'h1'));
      expect(await store.getSession(s.id)).toEqual(s);
      expect(await store.findRefreshToken('h1')).toEqual(token(s, 'h1'));
    });

    it('answers undefined, [] and invalid for what does not exist', async () => {
      const store = await fresh();
      expect(await store.getSession('nope')).toBeUndefined();
      expect(await store.findRefreshToken('nope')).toBeUndefined();
      expect(await store.listSessions('nobody')).toEqual([]);
      expect(await store.rotate('nope', next('x'), touch())).toEqual({ status: 'invalid' });
      expect(await store.endSession('nope', T0, 'logout')).toBe(false);
      expect(await store.endSessionsOf('nobody', T0, 'logout_all')).toEqual([]);
      expect(await store.addSibling('nope', 'spent', next('y'), 1)).toBe(false);
    });

    it('rotates: spends the token, stores the next one a generation later, and touches the session', async () => {
      const store = await fresh();
      const s = session();
      await store.createSession(s, token(s, 'h1'));
      const outcome = await store.rotate('h1', next('h2'), touch(T0 + 5000));
      expect(outcome.status).toBe('rotated');
      if (outcome.status !== 'rotated') return;
      expect(outcome.session).toMatchObject({
        id: s.id,
        refreshGeneration: 2,
        lastSeenAt: T0 + 5000,
        device: 'curl/8',
        ip: '198.51.100.1',
      });
      expect(outcome.session.idleExpiresAt).toBe(T0 + 5000 + HOUR);
      expect(await store.getSession(s.id)).toEqual(outcome.session);
      expect((await store.findRefreshToken('h1'))?.consumedAt).toBe(T0 + 5000);
      expect(await store.findRefreshToken('h2')).toMatchObject({
        sessionId: s.id,
        generation: 2,
        consumedAt: null,
      });
    });

    it('answers reused, with when it was spent, for a spent token, and changes nothing', async () => {
      const store = await fresh();
      const s = session();
      await store.createSession(s, token(s, 'h1'));
      await store.rotate('h1', next('h2'), touch(T0 + 1000));
      const before = await store.getSession(s.id);
      const outcome = await store.rotate('h1', next('h3'), touch(T0 + 2000));
      expect(outcome.status).toBe('reused');
      if (outcome.status !== 'reused') return;
      expect(outcome.token).toMatchObject({ hash: 'h1', generation: 1, consumedAt: T0 + 1000 });
      expect(outcome.session).toEqual(before);
      expect(await store.findRefreshToken('h3')).toBeUndefined();
    });

    it('exactly one of 100 concurrent rotations of one token wins', async () => {
      const store = await fresh();
      const s = session();
      await store.createSession(s, token(s, 'h1'));
      const outcomes = await Promise.all(
        Array.from({ length: 100 }, (_, i) => store.rotate('h1', next(`n${i}`), touch())),
      );
      expect(outcomes.filter((o) => o.status === 'rotated')).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'reused')).toHaveLength(99);
      expect((await store.getSession(s.id))?.refreshGeneration).toBe(2);
      const stored = await Promise.all(
        Array.from({ length: 100 }, (_, i) => store.findRefreshToken(`n${i}`)),
      );
      expect(stored.filter(Boolean)).toHaveLength(1);
    });

    it('answers invalid for an expired token, an ended session, an idle or absolute expiry, or another client', async () => {
      const store = await fresh();
      const expired = session();
      await store.createSession(expired, token(expired, 'e1', { expiresAt: T0 + 500 }));
      expect(await store.rotate('e1', next('x1'), touch(T0 + 500))).toEqual({ status: 'invalid' });
      const ended = session();
      await store.createSession(ended, token(ended, 'e2'));
      expect(await store.endSession(ended.id, T0 + 10, 'logout')).toBe(true);
      expect(await store.rotate('e2', next('x2'), touch())).toEqual({ status: 'invalid' });
      const idle = session({ idleExpiresAt: T0 + 900 });
      await store.createSession(idle, token(idle, 'e3'));
      expect(await store.rotate('e3', next('x3'), touch(T0 + 900))).toEqual({ status: 'invalid' });
      const absolute = session({ absoluteExpiresAt: T0 + 900 });
      await store.createSession(absolute, token(absolute, 'e4'));
      expect(await store.rotate('e4', next('x4'), touch(T0 + 900))).toEqual({ status: 'invalid' });
      const other = session({ clientId: 'web' });
      await store.createSession(other, token(other, 'e5'));
      expect(await store.rotate('e5', next('x5'), { ...touch(), clientId: 'mobile' })).toEqual({
        status: 'invalid',
      });
      expect((await store.findRefreshToken('e5'))?.consumedAt).toBeNull();
      for (const hash of ['x1', 'x2', 'x3', 'x4', 'x5'])
        expect(await store.findRefreshToken(hash)).toBeUndefined();
    });

    it('never extends the idle expiry past the absolute lifetime', async () => {
      const store = await fresh();
      const s = session({ absoluteExpiresAt: T0 + 2000 });
      await store.createSession(s, token(s, 'h1'));
      const outcome = await store.rotate('h1', next('h2'), touch(T0 + 1000));
      expect(outcome.status === 'rotated' && outcome.session.idleExpiresAt).toBe(T0 + 2000);
    });

    it('adds a sibling of the current generation to a live session only', async () => {
      const store = await fresh();
      const s = session();
      await store.createSession(s, token(s, 'h1'));
      await store.rotate('h1', next('h2'), touch());
      expect(await store.addSibling(s.id, 'h1', next('sib'), 2)).toBe(true);
      expect(await store.findRefreshToken('sib')).toMatchObject({
        sessionId: s.id,
        generation: 2,
        consumedAt: null,
      });
      await store.rotate('h2', next('h3'), touch());
      await store.endSession(s.id, T0 + 5, 'logout');
      expect(await store.addSibling(s.id, 'h2', next('sib2'), 3)).toBe(false);
      expect(await store.findRefreshToken('sib2')).toBeUndefined();
    });

    it('gives a spent token one sibling at most, even to 20 concurrent callers', async () => {
      const store = await fresh();
      const s = session();
      await store.createSession(s, token(s, 'h1'));
      await store.rotate('h1', next('h2'), touch());
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.addSibling(s.id, 'h1', next(`sib-${i}`), 2)),
      );
      expect(answers.filter(Boolean)).toHaveLength(1);
      const stored = await Promise.all(answers.map((_, i) => store.findRefreshToken(`sib-${i}`)));
      expect(stored.filter((t) => t !== undefined)).toHaveLength(1);
    });

    it('gives no sibling for a generation the session has moved past', async () => {
      const store = await fresh();
      const s = session();
      await store.createSession(s, token(s, 'h1'));
      await store.rotate('h1', next('h2'), touch());
      await store.rotate('h2', next('h3'), touch()); // generation 3 now: h1 is two generations old
      expect(await store.addSibling(s.id, 'h1', next('late'), 2)).toBe(false);
      expect(await store.findRefreshToken('late')).toBeUndefined();
    });

    it('rotates two live branches of one session at once without error: one rotates, one is reuse', async () => {
      for (let round = 0; round < 10; round++) {
        const store = await fresh();
        const s = session();
        await store.createSession(s, token(s, 'h1'));
        await store.rotate('h1', next('a'), touch(T0 + 10));
        await store.addSibling(s.id, 'h1', next('b'), 2);
        const outcomes = await Promise.all([
          store.rotate('a', next('a2'), touch(T0 + 20)),
          store.rotate('b', next('b2'), touch(T0 + 20)),
        ]);
        expect(outcomes.map((o) => o.status).sort()).toEqual(['reused', 'rotated']);
        await current?.cleanup?.();
        current = undefined;
      }
    });

    it('spends the branch not taken when one of two same-generation tokens rotates', async () => {
      const store = await fresh();
      const s = session();
      await store.createSession(s, token(s, 'h1'));
      await store.rotate('h1', next('a'), touch(T0 + 10));
      await store.addSibling(s.id, 'h1', next('b'), 2);
      expect((await store.rotate('b', next('b2'), touch(T0 + 20))).status).toBe('rotated');
      expect(await store.findRefreshToken('a')).toMatchObject({ consumedAt: T0 + 20, superseded: true });
      expect(await store.findRefreshToken('b')).toMatchObject({ consumedAt: T0 + 20, superseded: false });
      expect(await store.findRefreshToken('b2')).toMatchObject({ consumedAt: null, generation: 3 });
      const forked = await store.rotate('a', next('a2'), touch(T0 + 30));
      expect(forked.status).toBe('reused');
      expect(await store.findRefreshToken('a2')).toBeUndefined();
    });

    it('marks the rotated token spent by use, not superseded', async () => {
      const store = await fresh();
      const s = session();
      await store.createSession(s, token(s, 'h1'));
      await store.rotate('h1', next('h2'), touch(T0 + 10));
      expect(await store.findRefreshToken('h1')).toMatchObject({ consumedAt: T0 + 10, superseded: false });
      expect(await store.findRefreshToken('h2')).toMatchObject({ consumedAt: null, superseded: false });
    });

    it('never gives a sibling to a token superseded by the other branch (the copied-token invariant)', async () => {
      const store = await fresh();
      const s = session();
      await store.createSession(s, token(s, 'h1'));
      // Owner rotates h1 -> a; the holder of a copy of h1 gets the one sibling b.
      await store.rotate('h1', next('a'), touch(T0 + 10));
      expect(await store.addSibling(s.id, 'h1', next('b'), 2)).toBe(true);
      // Owner rotates a -> a2: b is the branch not taken, superseded.
      expect((await store.rotate('a', next('a2'), touch(T0 + 20))).status).toBe('rotated');
      // The copy's holder presents b: it is reuse, and b earns no sibling at generation 3.
      const outcome = await store.rotate('b', next('b2'), touch(T0 + 21));
      expect(outcome.status).toBe('reused');
      expect(outcome.status === 'reused' && outcome.token.superseded).toBe(true);
      expect(await store.addSibling(s.id, 'b', next('b3'), 3)).toBe(false);
      expect(await store.findRefreshToken('b3')).toBeUndefined();
      expect(await store.findRefreshToken('b2')).toBeUndefined();
    });

    it('lets the first branch to rotate after a sibling end the other, whichever it is', async () => {
      const store = await fresh();
      const s = session();
      await store.createSession(s, token(s, 'h1'));
      await store.rotate('h1', next('a'), touch(T0 + 10));
      expect(await store.addSibling(s.id, 'h1', next('b'), 2)).toBe(true);
      // The sibling's holder moves first: the owner's token a is now the superseded one.
      expect((await store.rotate('b', next('b2'), touch(T0 + 20))).status).toBe('rotated');
      const owner = await store.rotate('a', next('a2'), touch(T0 + 21));
      expect(owner.status === 'reused' && owner.token.superseded).toBe(true);
      expect(await store.addSibling(s.id, 'a', next('a3'), 3)).toBe(false);
    });

    it('gives a sibling only for a token of that session, spent, one generation back', async () => {
      const store = await fresh();
      const s = session();
      const other = session();
      await store.createSession(s, token(s, 'h1'));
      await store.createSession(other, token(other, 'o1'));
      await store.rotate('h1', next('h2'), touch(T0 + 10));
      await store.rotate('o1', next('o2'), touch(T0 + 10));
      // Unknown, unspent, and another session's spent token: no sibling.
      expect(await store.addSibling(s.id, 'nope', next('x1'), 2)).toBe(false);
      expect(await store.addSibling(s.id, 'h2', next('x2'), 2)).toBe(false);
      expect(await store.addSibling(s.id, 'o1', next('x3'), 2)).toBe(false);
      for (const hash of ['x1', 'x2', 'x3']) expect(await store.findRefreshToken(hash)).toBeUndefined();
      // The control case: the session's own spent token gets one.
      expect(await store.addSibling(s.id, 'h1', next('x4'), 2)).toBe(true);
    });

    it('ends a session once: only the first call answers true', async () => {
      const store = await fresh();
      const s = session();
      await store.createSession(s, token(s, 'h1'));
      const results = await Promise.all([1, 2, 3].map(() => store.endSession(s.id, T0 + 7, 'logout')));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.getSession(s.id)).toMatchObject({ endedAt: T0 + 7, endReason: 'logout' });
    });

    it("ends every live session of a user but the one kept, and no one else's", async () => {
      const store = await fresh();
      const a = session({ sub: 'u-a' });
      const b = session({ sub: 'u-a' });
      const keep = session({ sub: 'u-a' });
      const other = session({ sub: 'u-b' });
      for (const [s, h] of [
        [a, 'a'],
        [b, 'b'],
        [keep, 'k'],
        [other, 'o'],
      ] as const)
        await store.createSession(s, token(s, h));
      const ended = await store.endSessionsOf('u-a', T0 + 9, 'password_change', keep.id);
      expect(ended.sort()).toEqual([a.id, b.id].sort());
      expect((await store.getSession(keep.id))?.endedAt).toBeNull();
      expect((await store.getSession(other.id))?.endedAt).toBeNull();
      expect(await store.endSessionsOf('u-a', T0 + 10, 'logout_all', keep.id)).toEqual([]);
    });

    it('lists live sessions newest first, and ended ones only when asked', async () => {
      const store = await fresh();
      const now = Date.now();
      const older = session({
        sub: 'lister',
        createdAt: now - 2000,
        idleExpiresAt: now + HOUR,
        absoluteExpiresAt: now + HOUR,
      });
      const newer = session({
        sub: 'lister',
        createdAt: now - 1000,
        idleExpiresAt: now + HOUR,
        absoluteExpiresAt: now + HOUR,
      });
      const gone = session({
        sub: 'lister',
        createdAt: now - 500,
        idleExpiresAt: now + HOUR,
        absoluteExpiresAt: now + HOUR,
      });
      for (const [s, h] of [
        [older, 'l1'],
        [newer, 'l2'],
        [gone, 'l3'],
      ] as const)
        await store.createSession(s, token(s, h));
      await store.endSession(gone.id, now, 'logout');
      expect((await store.listSessions('lister')).map((s) => s.id)).toEqual([newer.id, older.id]);
      expect((await store.listSessions('lister', { includeEnded: true })).map((s) => s.id)).toEqual([
        gone.id,
        newer.id,
        older.id,
      ]);
      expect(await store.listSessions('lister', { limit: 1 })).toHaveLength(1);
    });

    it('purges expired refresh tokens and long-dead sessions, never a live session', async () => {
      const store = await fresh();
      const live = session({ idleExpiresAt: T0 + 10 * HOUR, absoluteExpiresAt: T0 + 10 * HOUR });
      const dead = session({ idleExpiresAt: T0 + HOUR });
      await store.createSession(live, token(live, 'live', { expiresAt: T0 + 10 * HOUR }));
      await store.createSession(dead, token(dead, 'dead', { expiresAt: T0 + HOUR }));
      const removed = await store.purgeExpired(T0 + 3 * HOUR, HOUR);
      expect(removed).toBeGreaterThanOrEqual(2);
      expect(await store.getSession(live.id)).toEqual(live);
      expect(await store.findRefreshToken('live')).toBeDefined();
      expect(await store.getSession(dead.id)).toBeUndefined();
      expect(await store.findRefreshToken('dead')).toBeUndefined();
    });
  });
}
