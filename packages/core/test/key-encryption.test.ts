import { randomBytes } from 'node:crypto';
import { isRevocableError, KeyEncryption } from '@revocable/core';
import { openPrivateJwk, sealPrivateJwk } from '@revocable/core/internal';
import { describe, expect, it } from 'vitest';

const JWK = { kty: 'OKP', crv: 'Ed25519', x: 'public-part', d: 'private-part' };
const KEK = randomBytes(32);

function thrown(run: () => unknown): Error & { code?: string } {
  try {
    run();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describe('KeyEncryption', () => {
  it('takes a 32-byte key in base64, base64url or hex, and all three name the same key', () => {
    const ids = [KEK.toString('base64'), KEK.toString('base64url'), KEK.toString('hex')].map(
      (current) => new KeyEncryption({ current }).keyId,
    );
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses other lengths and other text with ERR_CONFIG_INVALID, naming the variable, never the value', () => {
    for (const value of [
      randomBytes(16).toString('base64'),
      randomBytes(31).toString('hex'),
      'not a key at all',
    ]) {
      const error = thrown(() => KeyEncryption.fromEnvironment({ REVOCABLE_KEY_ENCRYPTION_KEY: value }));
      expect(error.code).toBe('ERR_CONFIG_INVALID');
      expect(error.message).toContain('REVOCABLE_KEY_ENCRYPTION_KEY');
      expect(error.message).not.toContain(value);
    }
    const previous = thrown(() =>
      KeyEncryption.fromEnvironment({
        REVOCABLE_KEY_ENCRYPTION_KEY: KEK.toString('hex'),
        REVOCABLE_KEY_ENCRYPTION_KEY_PREVIOUS: `${randomBytes(32).toString('hex')},short`,
      }),
    );
    expect(previous.message).toContain('REVOCABLE_KEY_ENCRYPTION_KEY_PREVIOUS (entry 2)');
  });

  it('is absent when neither variable is set', () => {
    expect(KeyEncryption.fromEnvironment({})).toBeUndefined();
    expect(KeyEncryption.fromEnvironment({ REVOCABLE_KEY_ENCRYPTION_KEY: '' })).toBeUndefined();
  });

  it('seals without the private part in clear and opens it again, up to date', () => {
    const encryption = new KeyEncryption({ current: KEK.toString('hex') });
    const stored = encryption.seal('kid-1', JWK);
    expect(stored).not.toContain('private-part');
    expect(JSON.parse(stored)).toMatchObject({ v: 1, alg: 'A256GCM', kek: encryption.keyId });
    expect(encryption.open('kid-1', stored)).toEqual({ jwk: JWK, upToDate: true });
  });

  it('binds the kid: an envelope moved to another key does not open', () => {
    const encryption = new KeyEncryption({ current: KEK.toString('hex') });
    const error = thrown(() => encryption.open('kid-2', encryption.seal('kid-1', JWK)));
    expect(error.code).toBe('ERR_KEY_DECRYPT');
  });

  it('refuses a tampered envelope', () => {
    const encryption = new KeyEncryption({ current: KEK.toString('hex') });
    const envelope = JSON.parse(encryption.seal('kid-1', JWK));
    envelope.ct = Buffer.from(envelope.ct, 'base64url').reverse().toString('base64url');
    expect(thrown(() => encryption.open('kid-1', JSON.stringify(envelope))).code).toBe('ERR_KEY_DECRYPT');
  });

  it('opens with a previous key (not up to date), and refuses a key it was never given', () => {
    const old = new KeyEncryption({ current: KEK.toString('hex') });
    const stored = old.seal('kid-1', JWK);
    const rotated = new KeyEncryption({
      current: randomBytes(32).toString('hex'),
      previous: [KEK.toString('hex')],
    });
    expect(rotated.open('kid-1', stored)).toEqual({ jwk: JWK, upToDate: false });
    const stranger = new KeyEncryption({ current: randomBytes(32).toString('hex') });
    const error = thrown(() => stranger.open('kid-1', stored));
    expect(isRevocableError(error) && error.code).toBe('ERR_KEY_DECRYPT');
    expect(error.message).toContain(old.keyId!);
  });

  it('reads plaintext JWKs written before encryption (not up to date with a KEK), and writes plaintext without one', () => {
    const plaintext = sealPrivateJwk('kid-1', JWK, undefined);
    expect(JSON.parse(plaintext)).toEqual(JWK);
    expect(openPrivateJwk('kid-1', plaintext, undefined)).toEqual({ jwk: JWK, upToDate: true });
    const encryption = new KeyEncryption({ current: KEK.toString('hex') });
    expect(openPrivateJwk('kid-1', plaintext, encryption)).toEqual({ jwk: JWK, upToDate: false });
    // Previous keys only: encryption being turned off, so sealed keys are out of date and plaintext is not.
    const off = new KeyEncryption({ previous: [KEK.toString('hex')] });
    expect(off.open('kid-1', encryption.seal('kid-1', JWK))).toEqual({ jwk: JWK, upToDate: false });
    expect(off.seal('kid-1', JWK)).toBe(plaintext);
  });

  it('refuses a sealed key when no key-encryption key is given, saying which variable to set', () => {
    const stored = new KeyEncryption({ current: KEK.toString('hex') }).seal('kid-1', JWK);
    const error = thrown(() => openPrivateJwk('kid-1', stored, undefined));
    expect(error.code).toBe('ERR_KEY_DECRYPT');
    expect(error.message).toContain('REVOCABLE_KEY_ENCRYPTION_KEY');
  });
});
