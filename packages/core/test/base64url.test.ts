import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCanonicalBase64url, isCanonicalBase64url } from '../src/token/base64url.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
// Wide characters whose low byte is an alphabet character (U+0165 → 'e', U+012D → '-'): Node's decoder
// reads only that byte, so they must be refused before it runs.
const LOW_BYTE_TWINS = [...'AZaz09-_e'].map((c) => String.fromCharCode(0x100 + c.charCodeAt(0)));
const NOISE = [
  '=',
  '+',
  '/',
  ' ',
  '\n',
  '.',
  '*',
  'é',
  '€',
  '\u0000',
  '😀',
  '%',
  '\u00e5',
  ...LOW_BYTE_TWINS,
];

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
    for (const twin of LOW_BYTE_TWINS) {
      expect(
        decodeCanonicalBase64url(`QUF${twin}`),
        `QUF + U+${twin.charCodeAt(0).toString(16)}`,
      ).toBeUndefined();
    }
    expect(decodeCanonicalBase64url('')?.length).toBe(0);
  });
});
