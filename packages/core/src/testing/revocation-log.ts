import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_REVOCATION_POLICY,
  Replica,
  RevocableError,
  type RevocableErrorCode,
  type RevocationEvent,
  type RevocationLog,
  type RevocationPolicy,
  type RevocationRequest,
  type TokenFacts,
} from '../index.js';
import { forgetAfterOf } from '../internal.js';
import { everyKind, INVALID_REQUESTS, ISS, liveRules, range, ruleKey, tokenRequest } from './requests.js';

/** What a backend hands the suite: a fresh, empty log, and how to open its storage again. */
export interface RevocationLogUnderTest {
  readonly log: RevocationLog;
  /** Opens the same storage again, after the suite closed `log`. Omitted by non-durable backends. */
  readonly reopen?: () => Promise<RevocationLog>;
  /** Releases the storage; called after every test, once every log was closed. */
  readonly cleanup?: () => Promise<void>;
}

/** How the suite wants a log opened: with its clock, sometimes a policy, and where listener errors go. */
export interface OpenRevocationLogOptions {
  readonly clock: () => number;
  readonly policy?: Partial<RevocationPolicy>;
  /** Receives what a subscriber's listener throws (the backend's `onListenerError` option). */
  readonly onListenerError: (error: unknown) => void;
}

/** Opens a fresh, empty log on separate storage each time it is called. */
export type OpenRevocationLog = (options: OpenRevocationLogOptions) => Promise<RevocationLogUnderTest>;

const T0 = Date.UTC(2026, 0, 1);
/** The default clock margin a `token`, `allow` or `key` rule is kept past its `expiresAt`. */
const SKEW = DEFAULT_REVOCATION_POLICY.clockSkewMs;

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable('expected a rejection'),
    (error: unknown) => error,
  );
}

async function expectCode(promise: Promise<unknown>, code: RevocableErrorCode): Promise<void> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(RevocableError);
  expect((error as RevocableError).code).toBe(code);
}

const seqs = (events: readonly RevocationEvent[]): number[] => events.map((event) => event.seq);

/**
 * Registers the `RevocationLog` contract (see `RevocationLog` in `@revocable/core`) as a vitest
 * suite, run against the backend that `open` creates. Every backend runs this one suite.
 *
 * @example
 * ```ts
 * import { describeRevocationLogContract } from '@revocable/core/testing';
 * describeRevocationLogContract('MemoryRevocationLog', async ({ clock, policy }) => ({
 *   log: new MemoryRevocationLog({ clock, ...(policy ? { policy } : {}) }),
 * }));
 * ```
 */
export function describeRevocationLogContract(name: string, open: OpenRevocationLog): void {
  describe(`RevocationLog contract: ${name}`, () => {
    let now = T0;
    let opened: RevocationLog[] = [];
    let cleanups: (() => Promise<void>)[] = [];
    let listenerErrors: unknown[] = [];

    async function start(policy?: Partial<RevocationPolicy>): Promise<RevocationLogUnderTest> {
      now = T0;
      listenerErrors = [];
      const subject = await open({
        clock: () => now,
        onListenerError: (error) => listenerErrors.push(error),
        ...(policy ? { policy } : {}),
      });
      opened.push(subject.log);
      if (subject.cleanup) cleanups.push(subject.cleanup);
      return subject;
    }

    afterEach(async () => {
      for (const log of opened) await log.close().catch(() => undefined);
      for (const cleanup of cleanups) await cleanup();
      opened = [];
      cleanups = [];
    });

    it('starts empty: lastSeq 0, oldestSeq 1, nothing to read, an empty snapshot', async () => {
      const { log } = await start();
      expect(await log.lastSeq()).toBe(0);
      expect(await log.oldestSeq()).toBe(1);
      expect(await log.readAfter(0)).toEqual([]);
      expect(await log.snapshot()).toEqual({ events: [], seq: 0, takenAt: T0 });
    });

    it('numbers appended events from lastSeq + 1 and returns them complete', async () => {
      const { log } = await start();
      const [first] = await log.append([tokenRequest('a', now + 60_000)]);
      expect(first).toEqual({
        ...tokenRequest('a', now + 60_000),
        seq: 1,
        recordedAt: T0,
        forgetAfter: T0 + 60_000 + SKEW,
      });
      now += 5;
      const requests = everyKind(now);
      const events = await log.append(requests);
      expect(seqs(events)).toEqual([2, 3, 4, 5, 6, 7]);
      events.forEach((event, i) => {
        const request = requests[i]!;
        const forgetAfter = forgetAfterOf(request.rule, now, DEFAULT_REVOCATION_POLICY);
        expect(event).toEqual({ ...request, seq: i + 2, recordedAt: now, forgetAfter });
      });
      expect(await log.lastSeq()).toBe(7);
    });

    it('reads back every rule kind exactly as it was appended', async () => {
      const { log } = await start();
      const appended = await log.append(everyKind(now));
      expect(await log.readAfter(0)).toEqual(appended);
    });

    describe('keeps the issuer of token, allow and key rules, so a replica fed by the log scopes them', () => {
      const OTHER = 'https://other.example';
      const factsOf = (iss: string, over: Partial<TokenFacts> = {}): TokenFacts => ({
        tokenId: 'jti-1',
        iss,
        sub: 'u1',
        sid: undefined,
        kid: 'k-1',
        issuedAtMs: now - 1_000,
        expiresAtMs: now + 60_000,
        ...over,
      });
      const scoped = (): RevocationRequest[] => [
        tokenRequest('jti-1', now + 60_000),
        {
          rule: { kind: 'key', iss: ISS, kid: 'k-2', expiresAt: now + 60_000 },
          reason: 'key_compromise',
          actor: 'admin:ops',
        },
        {
          rule: { kind: 'allow', iss: ISS, tokenId: 'jti-3', expiresAt: now + 60_000 },
          reason: 'issued',
          actor: 'system',
        },
      ];
      /** Replicas built from the log as a new process (snapshot) and a follower (readAfter) build them. */
      async function replicasOf(log: RevocationLog): Promise<Replica[]> {
        const clock = () => now;
        const loaded = new Replica({ clock, purgeIntervalMs: 0, allowlist: true });
        loaded.load(await log.snapshot());
        const followed = new Replica({ clock, purgeIntervalMs: 0, allowlist: true });
        followed.load({ events: [], seq: 0, takenAt: now });
        for (const event of await log.readAfter(0)) followed.apply(event);
        return [loaded, followed];
      }

      it("control: the issuer's own token is refused by the token and key rules, admitted by the allow rule", async () => {
        const { log } = await start();
        await log.append(scoped());
        for (const replica of await replicasOf(log)) {
          expect(replica.check(factsOf(ISS))).toBe('token');
          expect(replica.check(factsOf(ISS, { tokenId: 'jti-3', kid: 'k-2' }))).toBe('key');
          expect(replica.check(factsOf(ISS, { tokenId: 'jti-3' }))).toBeUndefined();
          replica.close();
        }
      });

      it("another issuer's token with the same jti or kid is not matched", async () => {
        const { log } = await start();
        const events = await log.append(scoped());
        expect(events.map((event) => event.rule.iss)).toEqual([ISS, ISS, ISS]);
        for (const replica of await replicasOf(log)) {
          expect(replica.check(factsOf(OTHER))).toBe('allowlist');
          expect(replica.check(factsOf(OTHER, { tokenId: 'jti-3', kid: 'k-2' }))).toBe('allowlist');
          replica.close();
        }
        await log.append([
          {
            rule: { kind: 'allow', iss: OTHER, tokenId: 'jti-1', expiresAt: now + 60_000 },
            reason: 'issued',
            actor: 'system',
          },
          {
            rule: { kind: 'allow', iss: OTHER, tokenId: 'jti-3', expiresAt: now + 60_000 },
            reason: 'issued',
            actor: 'system',
          },
        ]);
        for (const replica of await replicasOf(log)) {
          expect(replica.check(factsOf(OTHER))).toBeUndefined();
          expect(replica.check(factsOf(OTHER, { tokenId: 'jti-3', kid: 'k-2' }))).toBeUndefined();
          expect(replica.check(factsOf(ISS))).toBe('token');
          replica.close();
        }
      });
    });

    it('computes forgetAfter with the policy it was opened with, and validates with it', async () => {
      const { log } = await start({ maxTokenLifetimeMs: 120_000, clockSkewMs: 5_000 });
      const [event] = await log.append([
        {
          rule: { kind: 'subject', iss: ISS, sub: 'u1', cutoff: now - 1_000 },
          reason: 'logout_all',
          actor: 'user:u1',
        },
      ]);
      expect(event!.forgetAfter).toBe(now - 1_000 + 125_000);
      await expectCode(log.append([tokenRequest('late', now + 125_001)]), 'ERR_REVOCATION_INVALID');
      await expect(log.append([tokenRequest('ok', now + 125_000)])).resolves.toHaveLength(1);
    });

    it('keeps seqs unique, consecutive and in order under 50 concurrent appends', async () => {
      const { log } = await start();
      await log.append([tokenRequest('before', now + 60_000)]);
      const sizes = Array.from({ length: 50 }, (_, i) => (i % 3) + 1);
      const batches = await Promise.all(
        sizes.map((size, i) =>
          log.append(Array.from({ length: size }, (_, j) => tokenRequest(`c${i}-${j}`, now + 60_000))),
        ),
      );
      const total = 1 + sizes.reduce((sum, size) => sum + size, 0);
      batches.forEach((batch, i) => {
        expect(batch.map((event) => (event.rule as { tokenId: string }).tokenId)).toEqual(
          range(0, sizes[i]! - 1).map((j) => `c${i}-${j}`),
        );
        expect(seqs(batch)).toEqual(range(batch[0]!.seq, batch[0]!.seq + sizes[i]! - 1));
      });
      const all = batches.flat().sort((a, b) => a.seq - b.seq);
      expect(seqs(all)).toEqual(range(2, total));
      const read = await log.readAfter(0, 1_000);
      expect(seqs(read)).toEqual(range(1, total));
      expect(read.slice(1)).toEqual(all);
      expect(await log.lastSeq()).toBe(total);
    });

    describe('rejects a batch holding an invalid request, wherever it is, and writes nothing', () => {
      it.each(INVALID_REQUESTS.map((c) => [c.why, c] as const))('%s', async (_why, invalid) => {
        const { log } = await start();
        await log.append([tokenRequest('kept', now + 60_000)]);
        const heard: RevocationEvent[] = [];
        const unsubscribe = log.subscribe((event) => heard.push(event));
        const bad = invalid.request(now) as RevocationRequest;
        const ok = (id: string) => tokenRequest(id, now + 60_000);
        for (const batch of [[bad], [bad, ok('x')], [ok('x'), bad, ok('y')], [ok('x'), ok('y'), bad]]) {
          await expectCode(log.append(batch), 'ERR_REVOCATION_INVALID');
        }
        expect(await log.lastSeq()).toBe(1);
        expect(seqs(await log.readAfter(0))).toEqual([1]);
        const [next] = await log.append([ok('next')]);
        expect(next!.seq).toBe(2);
        await vi.waitFor(() => expect(seqs(heard)).toEqual([2]), { timeout: 5_000, interval: 10 });
        unsubscribe();
      });

      it('an empty batch', async () => {
        const { log } = await start();
        await expectCode(log.append([]), 'ERR_REVOCATION_INVALID');
        expect(await log.lastSeq()).toBe(0);
      });
    });

    it('stores only the validated fields of a request: extra fields, a 20 KB one too, are dropped', async () => {
      const subject = await start();
      const { log } = subject;
      const junk = 'x'.repeat(20_000);
      const clean = everyKind(now);
      const padded = clean.map(
        (request) =>
          ({
            ...request,
            rule: { ...request.rule, junk, note: { nested: junk } },
            extra: junk,
          }) as unknown as RevocationRequest,
      );
      const heard: RevocationEvent[] = [];
      const unsubscribe = log.subscribe((event) => heard.push(event));
      const events = await log.append(padded);
      const expected = clean.map((request, i) => ({
        ...request,
        seq: i + 1,
        recordedAt: T0,
        forgetAfter: forgetAfterOf(request.rule, T0, DEFAULT_REVOCATION_POLICY),
      }));
      expect(events).toEqual(expected);
      expect(await log.readAfter(0)).toEqual(expected);
      expect((await log.snapshot()).events).toEqual(expected);
      await vi.waitFor(() => expect(heard).toHaveLength(6), { timeout: 5_000, interval: 10 });
      expect(heard).toEqual(expected);
      expect(JSON.stringify(await log.readAfter(0)).length).toBeLessThan(2_000);
      unsubscribe();
      if (subject.reopen) {
        await log.close();
        const again = await subject.reopen();
        opened.push(again);
        expect(await again.readAfter(0)).toEqual(expected);
      }
    });

    it('a listener that throws fails no append, and the other listeners still hear every event', async () => {
      const { log } = await start();
      const heard: number[] = [];
      const before: number[] = [];
      const failure = new Error('listener failure');
      const unsubscribeBefore = log.subscribe((event) => before.push(event.seq));
      const unsubscribeBad = log.subscribe(() => {
        throw failure;
      });
      const unsubscribe = log.subscribe((event) => heard.push(event.seq));
      await expect(
        log.append([tokenRequest('a', now + 60_000), tokenRequest('b', now + 60_000)]),
      ).resolves.toHaveLength(2);
      await expect(log.append([tokenRequest('c', now + 60_000)])).resolves.toHaveLength(1);
      await vi.waitFor(() => expect(heard).toEqual([1, 2, 3]), { timeout: 5_000, interval: 10 });
      expect(before).toEqual([1, 2, 3]);
      expect(listenerErrors).toEqual([failure, failure, failure]);
      expect(seqs(await log.readAfter(0))).toEqual([1, 2, 3]);
      unsubscribeBefore();
      unsubscribeBad();
      unsubscribe();
    });

    it('rejects a readAfter seq or limit that is not a whole number, and a purge time that is not one', async () => {
      const { log } = await start();
      await log.append([tokenRequest('a', now + 1_000)]);
      const bad: [unknown, unknown][] = [
        [Number.NaN, undefined],
        [1.5, undefined],
        [Number.POSITIVE_INFINITY, undefined],
        ['0', undefined],
        [0, Number.NaN],
        [0, -1],
        [0, 2.5],
        [0, '10'],
      ];
      for (const [seq, limit] of bad) {
        await expectCode(
          (log.readAfter as (seq: unknown, limit?: unknown) => Promise<RevocationEvent[]>)(seq, limit),
          'ERR_REVOCATION_INVALID',
        );
      }
      expect(seqs(await log.readAfter(-1))).toEqual([1]);
      expect(await log.readAfter(0, 0)).toEqual([]);
      now = T0 + 1_000 + SKEW;
      for (const at of [Number.NaN, 1.5, '1', Number.POSITIVE_INFINITY]) {
        await expectCode((log.purge as (now?: unknown) => Promise<number>)(at), 'ERR_REVOCATION_INVALID');
      }
      expect(seqs(await log.readAfter(0))).toEqual([1]);
      expect(await log.purge()).toBe(1);
    });

    it('accepts the same rule twice: each gets its own seq, and applying both has the effect of one', async () => {
      const { log } = await start();
      const request = everyKind(now)[2]!;
      const [a] = await log.append([request]);
      const [b] = await log.append([request]);
      expect([a!.seq, b!.seq]).toEqual([1, 2]);
      const snapshot = await log.snapshot();
      expect(seqs(snapshot.events)).toEqual([1, 2]);
      expect(liveRules(snapshot.events, now)).toEqual(new Set([ruleKey(request.rule)]));
    });

    it('readAfter returns the newer events ascending, with no gap, at most limit of them', async () => {
      const { log } = await start();
      await log.append(range(1, 10).map((i) => tokenRequest(`r${i}`, now + 60_000)));
      expect(seqs(await log.readAfter(3, 4))).toEqual([4, 5, 6, 7]);
      expect(seqs(await log.readAfter(7))).toEqual([8, 9, 10]);
      expect(seqs(await log.readAfter(0, 1))).toEqual([1]);
      expect(await log.readAfter(10)).toEqual([]);
      expect(await log.readAfter(99)).toEqual([]);
      const paged: RevocationEvent[] = [];
      for (let page = await log.readAfter(0, 3); page.length > 0; ) {
        expect(page.length).toBeLessThanOrEqual(3);
        paged.push(...page);
        page = await log.readAfter(page.at(-1)!.seq, 3);
      }
      expect(seqs(paged)).toEqual(range(1, 10));
    });

    it('snapshot then readAfter(snapshot.seq) gives the same live rules as the whole history', async () => {
      const { log } = await start();
      const history: RevocationEvent[] = [];
      history.push(...(await log.append([tokenRequest('short', now + 1_000)])));
      history.push(...(await log.append(everyKind(now).slice(1, 4))));
      now += 2_000 + SKEW;
      history.push(...(await log.append([everyKind(now)[4]!])));
      const snapshot = await log.snapshot();
      expect(snapshot.seq).toBe(5);
      expect(snapshot.takenAt).toBe(now);
      expect(seqs(snapshot.events)).toEqual([2, 3, 4, 5]);
      history.push(...(await log.append([tokenRequest('late', now + 5_000), everyKind(T0)[2]!])));
      const tail = await log.readAfter(snapshot.seq);
      expect(seqs(tail)).toEqual([6, 7]);
      expect(liveRules([...snapshot.events, ...tail], now)).toEqual(liveRules(history, now));
      expect(liveRules(history, now).size).toBe(5);
    });

    it('snapshot holds only events not yet forgettable when it is taken', async () => {
      const { log } = await start();
      await log.append([tokenRequest('a', now + 1_000), tokenRequest('b', now + 2_000)]);
      now += 1_000 + SKEW;
      const snapshot = await log.snapshot();
      expect(seqs(snapshot.events)).toEqual([2]);
      expect(snapshot.seq).toBe(2);
    });

    it('purge deletes only events with forgetAfter <= now, counts them, and moves oldestSeq', async () => {
      const { log } = await start();
      await log.append([1_000, 2_000, 3_000].map((ms) => tokenRequest(`p${ms}`, T0 + ms)));
      expect(await log.purge()).toBe(0);
      now = T0 + 1_999 + SKEW;
      expect(await log.purge()).toBe(1);
      expect(await log.oldestSeq()).toBe(2);
      now = T0 + 2_000 + SKEW;
      expect(await log.purge()).toBe(1);
      expect(await log.oldestSeq()).toBe(3);
      expect(seqs(await log.readAfter(0))).toEqual([3]);
      expect(await log.purge()).toBe(0);
      expect(await log.lastSeq()).toBe(3);
    });

    it('purge(now) uses the time it is given rather than the clock', async () => {
      const { log } = await start();
      await log.append([tokenRequest('a', T0 + 1_000), tokenRequest('b', T0 + 2_000)]);
      expect(await log.purge(T0 + 1_000 + SKEW)).toBe(1);
      expect(seqs(await log.readAfter(0))).toEqual([2]);
    });

    it('keeps token, allow and key rules for the clock margin past expiresAt, in snapshots and through purge', async () => {
      const { log } = await start({ maxTokenLifetimeMs: 600_000, clockSkewMs: 7_000 });
      const expiresAt = T0 + 30_000;
      const events = await log.append([
        tokenRequest('t', expiresAt),
        { rule: { kind: 'allow', iss: ISS, tokenId: 'a', expiresAt }, reason: 'issued', actor: 'system' },
        {
          rule: { kind: 'key', iss: ISS, kid: 'k', expiresAt },
          reason: 'key_compromise',
          actor: 'admin:ops',
        },
      ]);
      expect(events.map((event) => event.forgetAfter)).toEqual([
        expiresAt + 7_000,
        expiresAt + 7_000,
        expiresAt + 7_000,
      ]);
      for (const at of [expiresAt, expiresAt + 6_999]) {
        now = at;
        expect(await log.purge()).toBe(0);
        expect(seqs((await log.snapshot()).events)).toEqual([1, 2, 3]);
      }
      now = expiresAt + 7_000;
      expect(seqs((await log.snapshot()).events)).toEqual([]);
      expect(await log.purge()).toBe(3);
      expect(await log.readAfter(0)).toEqual([]);
    });

    it('purge keeps a live event older than a purged one, and readAfter skips the purged', async () => {
      const { log } = await start();
      await log.append([
        tokenRequest('long', T0 + 60_000),
        tokenRequest('short', T0 + 1_000),
        tokenRequest('mid', T0 + 30_000),
      ]);
      now = T0 + 1_000 + SKEW;
      expect(await log.purge()).toBe(1);
      expect(await log.oldestSeq()).toBe(1);
      expect(seqs(await log.readAfter(0))).toEqual([1, 3]);
      expect(seqs(await log.readAfter(1))).toEqual([3]);
    });

    it('never reuses a seq, even after every event was purged', async () => {
      const { log } = await start();
      await log.append([tokenRequest('a', T0 + 1_000), tokenRequest('b', T0 + 1_000)]);
      now = T0 + 1_000 + SKEW;
      expect(await log.purge()).toBe(2);
      expect(await log.lastSeq()).toBe(2);
      expect(await log.oldestSeq()).toBe(3);
      expect(await log.readAfter(0)).toEqual([]);
      const [next] = await log.append([tokenRequest('c', now + 1_000)]);
      expect(next!.seq).toBe(3);
      expect(await log.oldestSeq()).toBe(3);
    });

    it('subscribe delivers every event appended after it, in seq order, and none from before', async () => {
      const { log } = await start();
      await log.append([tokenRequest('before', now + 60_000)]);
      const heard: RevocationEvent[] = [];
      const also: number[] = [];
      const unsubscribe = log.subscribe((event) => heard.push(event));
      const unsubscribeToo = log.subscribe((event) => also.push(event.seq));
      const appended = [
        ...(await log.append([tokenRequest('a', now + 60_000)])),
        ...(await log.append(everyKind(now))),
      ];
      await vi.waitFor(() => expect(heard).toHaveLength(7), { timeout: 5_000, interval: 10 });
      expect(heard).toEqual(appended);
      expect(also).toEqual(range(2, 8));
      unsubscribe();
      unsubscribeToo();
    });

    it('subscribe delivers concurrent appends in seq order, without gap or duplicate', async () => {
      const { log } = await start();
      const heard: number[] = [];
      const unsubscribe = log.subscribe((event) => heard.push(event.seq));
      await Promise.all(
        range(1, 20).map((i) =>
          log.append([tokenRequest(`s${i}a`, now + 9_000), tokenRequest(`s${i}b`, now + 9_000)]),
        ),
      );
      await vi.waitFor(() => expect(heard).toHaveLength(40), { timeout: 5_000, interval: 10 });
      expect(heard).toEqual(range(1, 40));
      unsubscribe();
    });

    it('stops delivering to a listener once it unsubscribes', async () => {
      const { log } = await start();
      const heard: number[] = [];
      const stayed: number[] = [];
      const unsubscribe = log.subscribe((event) => heard.push(event.seq));
      const unsubscribeStayed = log.subscribe((event) => stayed.push(event.seq));
      await log.append([tokenRequest('a', now + 60_000)]);
      await vi.waitFor(() => expect(heard).toEqual([1]), { timeout: 5_000, interval: 10 });
      unsubscribe();
      await log.append([tokenRequest('b', now + 60_000)]);
      await vi.waitFor(() => expect(stayed).toEqual([1, 2]), { timeout: 5_000, interval: 10 });
      await new Promise((resolve) => setTimeout(resolve, 250));
      expect(heard).toEqual([1]);
      unsubscribeStayed();
    });

    it('keeps every acknowledged event across a restart and continues the numbering', async (context) => {
      const subject = await start();
      if (!subject.reopen) return context.skip('this backend is not durable: no reopen');
      const { log } = subject;
      await log.append(everyKind(now));
      await log.append([tokenRequest('gone', T0 + 500)]);
      now = T0 + 500 + SKEW;
      expect(await log.purge()).toBe(1);
      const before = {
        events: await log.readAfter(0),
        lastSeq: await log.lastSeq(),
        oldestSeq: await log.oldestSeq(),
        snapshot: await log.snapshot(),
      };
      expect(before.lastSeq).toBe(7);
      await log.close();
      const again = await subject.reopen();
      opened.push(again);
      expect(await again.readAfter(0)).toEqual(before.events);
      expect(await again.lastSeq()).toBe(before.lastSeq);
      expect(await again.oldestSeq()).toBe(before.oldestSeq);
      expect(await again.snapshot()).toEqual(before.snapshot);
      const [next] = await again.append([tokenRequest('after', now + 60_000)]);
      expect(next!.seq).toBe(8);
    });

    it('rejects every call with ERR_LOG_UNAVAILABLE once closed, and closing again is harmless', async () => {
      const { log } = await start();
      await log.append([tokenRequest('a', now + 60_000)]);
      await log.close();
      await expectCode(log.append([tokenRequest('b', now + 60_000)]), 'ERR_LOG_UNAVAILABLE');
      await expectCode(log.readAfter(0), 'ERR_LOG_UNAVAILABLE');
      await expectCode(log.snapshot(), 'ERR_LOG_UNAVAILABLE');
      await expectCode(log.purge(), 'ERR_LOG_UNAVAILABLE');
      await expectCode(log.lastSeq(), 'ERR_LOG_UNAVAILABLE');
      await expectCode(log.oldestSeq(), 'ERR_LOG_UNAVAILABLE');
      await expect(log.close()).resolves.toBeUndefined();
    });
  });
}
