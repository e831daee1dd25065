import { Replica, type RevocationEvent, type TokenFacts } from '@revocable/core';
import { describe, expect, it } from 'vitest';
import {
  compareEntryIds,
  decodeEntry,
  decodeRange,
  decodeRead,
  eventFields,
  heartbeatFields,
  parseEntryId,
} from '../src/stream-entry.js';

const event: RevocationEvent = {
  seq: 7,
  rule: { kind: 'token', iss: 'https://a.example', tokenId: 'jti-7', expiresAt: 2_000_000_000_000 },
  reason: 'logout',
  actor: 'user:u1',
  recordedAt: 1_900_000_000_000,
  forgetAfter: 2_000_000_000_000,
};

describe('stream entries', () => {
  it('round-trips an event and a heartbeat', () => {
    expect(decodeEntry('7-0', eventFields(event)).message).toEqual({ type: 'event', event });
    expect(decodeEntry('7-3', heartbeatFields(9, 1234)).message).toEqual({
      type: 'heartbeat',
      seq: 9,
      at: 1234,
    });
  });

  it('orders ids like Redis, including sequence parts beyond 2^53', () => {
    const ids = ['10-0', '9-18446744073709551615', '9-2', '10-1'].map((id) => parseEntryId(id)!);
    ids.sort(compareEntryIds);
    expect(ids.map((id) => `${id.seq}-${id.n}`)).toEqual(['9-2', '9-18446744073709551615', '10-0', '10-1']);
  });

  it('ignores entries that are not ours, without throwing', () => {
    expect(decodeEntry('not-an-id', eventFields(event)).message).toBeUndefined();
    expect(decodeEntry('8-0', eventFields(event)).message).toBeUndefined(); // seq does not match the id
    expect(decodeEntry('7-1', eventFields(event)).message).toBeUndefined(); // an event is always <seq>-0
    expect(decodeEntry('7-0', ['t', 'e', 'e', '{bad json']).message).toBeUndefined();
    expect(decodeEntry('7-0', ['t', 'e', 'e', '{"seq":7}']).message).toBeUndefined();
    expect(decodeEntry('7-1', ['t', 'h', 's', '-1', 'a', '1']).message).toBeUndefined();
    expect(decodeEntry('7-1', ['other', 'field']).message).toBeUndefined();
  });

  it('reads every XREAD reply shape ioredis produces, and a timed-out block as nothing', () => {
    const entries = [['7-0', eventFields(event)]];
    const expected = [{ id: '7-0', message: { type: 'event', event } }];
    expect(decodeRead([['k', entries]], 'k')).toEqual(expected);
    expect(decodeRead(['k', entries], 'k')).toEqual(expected);
    expect(decodeRead({ k: entries }, 'k')).toEqual(expected);
    expect(decodeRead(new Map([['k', entries]]), 'k')).toEqual(expected);
    expect(decodeRead([['other', entries]], 'k')).toEqual([]);
    expect(decodeRead(null, 'k')).toEqual([]);
  });
});

describe('stream entries keep the issuer of token, key and allow rules', () => {
  const A = 'https://a.example';
  const B = 'https://b.example';
  const now = Date.now();
  const facts = (iss: string, over: Partial<TokenFacts> = {}): TokenFacts => ({
    tokenId: 'jti-1',
    iss,
    sub: 'u1',
    sid: undefined,
    kid: 'kid-1',
    issuedAtMs: now - 1_000,
    expiresAtMs: now + 600_000,
    ...over,
  });
  const at = (seq: number, rule: RevocationEvent['rule']): RevocationEvent => ({
    seq,
    rule,
    reason: 'admin',
    actor: 'admin',
    recordedAt: now,
    forgetAfter: now + 660_000,
  });
  /** A replica that applied the events as a Redis follower does: encoded, read back, decoded. */
  function replicaFrom(events: RevocationEvent[]): Replica {
    const replica = new Replica({ purgeIntervalMs: 0 });
    replica.load({ events: [], seq: 0, takenAt: now });
    const reply = events.map((e) => [`${e.seq}-0`, eventFields(e)]);
    for (const { message } of decodeRange(reply)) {
      if (message?.type === 'event') replica.apply(message.event);
    }
    return replica;
  }

  it("control: A's token and key rules, through entries, reject A's token", () => {
    const replica = replicaFrom([
      at(1, { kind: 'token', iss: A, tokenId: 'jti-1', expiresAt: now + 600_000 }),
      at(2, { kind: 'key', iss: A, kid: 'kid-2', expiresAt: now + 600_000 }),
    ]);
    expect(replica.check(facts(A))).toBe('token');
    expect(replica.check(facts(A, { tokenId: 'jti-2', kid: 'kid-2' }))).toBe('key');
    replica.close();
  });

  it("A's token and key rules, through entries, leave B's token with the same jti and kid valid", () => {
    const events = [
      at(1, { kind: 'token', iss: A, tokenId: 'jti-1', expiresAt: now + 600_000 }),
      at(2, { kind: 'key', iss: A, kid: 'kid-2', expiresAt: now + 600_000 }),
    ];
    expect(events.map((e) => decodeEntry(`${e.seq}-0`, eventFields(e)).message)).toEqual(
      events.map((e) => ({ type: 'event', event: e })),
    );
    const replica = replicaFrom(events);
    expect(replica.check(facts(B))).toBeUndefined();
    expect(replica.check(facts(B, { tokenId: 'jti-2', kid: 'kid-2' }))).toBeUndefined();
    replica.close();
  });

  it('an entry written before rules named their issuer (no iss) still revokes its id at every issuer', () => {
    // The fields an older publisher wrote for a token and a key rule.
    const legacy = [
      [
        '1-0',
        ['t', 'e', 'e', JSON.stringify(at(1, { kind: 'token', tokenId: 'jti-1', expiresAt: now + 600_000 }))],
      ],
      [
        '2-0',
        ['t', 'e', 'e', JSON.stringify(at(2, { kind: 'key', kid: 'kid-2', expiresAt: now + 600_000 }))],
      ],
    ];
    const decoded = decodeRange(legacy);
    expect(decoded.map((entry) => entry.message?.type)).toEqual(['event', 'event']);
    const replica = new Replica({ purgeIntervalMs: 0 });
    replica.load({ events: [], seq: 0, takenAt: now });
    for (const { message } of decoded) if (message?.type === 'event') replica.apply(message.event);
    for (const iss of [A, B]) {
      expect(replica.check(facts(iss))).toBe('token');
      expect(replica.check(facts(iss, { tokenId: 'jti-2', kid: 'kid-2' }))).toBe('key');
    }
    replica.close();
  });
});
