import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCanonicalBase64url, isCanonicalBase64url } from '../src/token/base64url.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const NOISE = ['=', '+', '/', ' ', '\n', '.', '*', 'é', '€', '\u0000', '😀', '%'];

const nearlyBase64url = fc
  .array(
    fc.oneof(
      { weight: 20, arbitrary: fc.constantFrom(...ALPHABET) },
      { weight: 1, arbitrary: fc.constantFrom(...NOISE) },
    ),
    {
      maxLength: 80,
    },
  )
  .map((chars) => chars.join(''));

describe('one-pass canonical base64url decoding', () => {
  it('accepts exactly what the reference check accepts, and decodes to the same bytes', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          nearlyBase64url,
          fc.string({ maxLength: 40 }),
          fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b).toString('base64url')),
        ),
        (s) => {
          const decoded = decodeCanonicalBase64url(s);
          expect(decoded !== undefined).toBe(isCanonicalBase64url(s));
          if (decoded !== undefined) expect(decoded.equals(Buffer.from(s, 'base64url'))).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('refuses padding, the base64 alphabet, whitespace, non-ASCII and stray trailing bits', () => {
    for (const bad of ['QQ==', 'QQ=', 'a+bc', 'a/bc', 'ab c', 'ab\nc', 'abé', 'QR', 'QUF', 'A']) {
      expect(decodeCanonicalBase64url(bad), bad).toBeUndefined();
    }
    expect(decodeCanonicalBase64url('QQ')?.toString()).toBe('A');
    expect(decodeCanonicalBase64url('')?.length).toBe(0);
  });
});
