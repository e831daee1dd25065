import type { RevocationEvent } from '@revocable/core';
import { describe, expect, it } from 'vitest';
import {
  compareEntryIds,
  decodeEntry,
  decodeRead,
  eventFields,
  heartbeatFields,
  parseEntryId,
} from '../src/stream-entry.js';

const event: RevocationEvent = {
  seq: 7,
  rule: { kind: 'token', tokenId: 'jti-7', expiresAt: 2_000_000_000_000 },
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
