import { describe, expect, it } from 'vitest';
import { ruleFromWire, ruleToWire, timeFromWire, timeToWire } from '../src/http/wire.js';

const NOON = Date.UTC(2025, 0, 31, 12);

describe('timeFromWire reads RFC 3339 and nothing else', () => {
  it('reads UTC, offsets, lower case separators and fractions (cut to the millisecond)', () => {
    expect(timeFromWire('2025-01-31T12:00:00.000Z', 't')).toBe(NOON);
    expect(timeFromWire('2025-01-31T12:00:00Z', 't')).toBe(NOON);
    expect(timeFromWire('2025-01-31t14:00:00+02:00', 't')).toBe(NOON);
    expect(timeFromWire('2025-01-31T06:30:00-05:30', 't')).toBe(NOON);
    expect(timeFromWire('2025-01-31T12:00:00.1239z', 't')).toBe(NOON + 123);
    expect(timeFromWire('2024-02-29T00:00:00Z', 't')).toBe(Date.UTC(2024, 1, 29));
    expect(timeFromWire(timeToWire(NOON + 7), 't')).toBe(NOON + 7);
  });

  it.each([
    ['a number', NOON],
    ['a date alone', '2025-01-31'],
    ['no offset', '2025-01-31T12:00:00'],
    ['a day the month does not have', '2023-02-29T00:00:00Z'],
    ['hour 24', '2025-01-31T24:00:00Z'],
    ['a leap second', '2016-12-31T23:59:60Z'],
    ['an offset past 23:59', '2025-01-31T12:00:00+24:00'],
    ['a space for T', '2025-01-31 12:00:00Z'],
    ['free text', 'tomorrow'],
  ])('refuses %s, naming the member', (_, value) => {
    expect(() => timeFromWire(value, 'rule.cutoff')).toThrow(/rule\.cutoff must be an RFC 3339 time/);
  });
});

describe('rules on the wire', () => {
  it('a rule read from the wire is the core rule that answers as the same wire form', () => {
    const rules = [
      { kind: 'token', iss: 'https://a.example', token_id: 'j', expires_at: timeToWire(NOON) },
      { kind: 'allow', iss: 'https://a.example', token_id: 'j', expires_at: timeToWire(NOON) },
      { kind: 'key', iss: 'https://a.example', kid: 'k', expires_at: timeToWire(NOON) },
      { kind: 'session', iss: 'https://a.example', sid: 's', cutoff: timeToWire(NOON) },
      { kind: 'subject', iss: 'https://a.example', sub: 'u', cutoff: timeToWire(NOON) },
      { kind: 'issuer', iss: 'https://a.example', cutoff: timeToWire(NOON) },
    ];
    for (const wire of rules) expect(ruleToWire(ruleFromWire(wire))).toEqual(wire);
    expect(ruleFromWire(rules[0])).toEqual({
      kind: 'token',
      iss: 'https://a.example',
      tokenId: 'j',
      expiresAt: NOON,
    });
  });

  it('leaves an omitted iss (token, key, allow) and cutoff for the route to fill in', () => {
    expect(ruleFromWire({ kind: 'key', kid: 'k', expires_at: timeToWire(NOON) })).toEqual({
      kind: 'key',
      kid: 'k',
      expiresAt: NOON,
    });
    expect(ruleFromWire({ kind: 'subject', iss: 'i', sub: 'u' })).toEqual({
      kind: 'subject',
      iss: 'i',
      sub: 'u',
    });
  });

  it('answers a rule recorded without an issuer with iss: null', () => {
    expect(ruleToWire({ kind: 'token', tokenId: 'j', expiresAt: NOON })).toEqual({
      kind: 'token',
      iss: null,
      token_id: 'j',
      expires_at: timeToWire(NOON),
    });
  });

  it.each([
    [{ kind: 'token', tokenId: 'j', expiresAt: NOON }, /rule\.tokenId is not a member of a token rule/],
    [{ kind: 'session', sid: 's' }, /A session rule needs rule\.iss/],
    [{ kind: 'token', expires_at: timeToWire(NOON) }, /A token rule needs rule\.token_id/],
    [{ kind: 'key', iss: 7, kid: 'k', expires_at: timeToWire(NOON) }, /rule\.iss must be a string/],
    [{ kind: 'token', token_id: 'j' }, /rule\.expires_at must be an RFC 3339 time/],
    [{ kind: 'key', kid: 'k', expires_at: 'soon' }, /rule\.expires_at must be an RFC 3339 time/],
    [{ kind: 'everything' }, /rule\.kind must be one of/],
    [['token'], /rule must be an object/],
  ])('refuses %j with ERR_REVOCATION_INVALID', (wire, message) => {
    expect(() => ruleFromWire(wire)).toThrow(message);
    expect(() => ruleFromWire(wire)).toThrow(expect.objectContaining({ code: 'ERR_REVOCATION_INVALID' }));
  });
});
