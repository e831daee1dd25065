const ALPHABET = /^[A-Za-z0-9_-]*$/;

// Value of each base64url character, -1 for anything else. Used to check the unused low bits.
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) {
  VALUE['ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.charCodeAt(i)] = i;
}

/**
 * True when `s` is canonical unpadded base64url (RFC 4648 §5, RFC 7515 §2): only `A-Z a-z 0-9 - _`,
 * no padding, a length that can encode whole bytes, and zero bits where the last character has unused
 * ones. Canonical form matters because the verified-signature cache is keyed by the exact token text.
 */
export function isCanonicalBase64url(s: string): boolean {
  if (!ALPHABET.test(s)) return false;
  const rest = s.length & 3;
  if (rest === 0) return true;
  if (rest === 1) return false;
  const last = VALUE[s.charCodeAt(s.length - 1)]!;
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}

/**
 * Decodes `s` when it is canonical unpadded base64url (exactly what {@link isCanonicalBase64url}
 * accepts), `undefined` otherwise, in one pass: Node's decoder skips or stops at anything outside the
 * alphabet (padding, whitespace, other characters), so such input decodes to fewer bytes than its
 * length promises; `+` and `/`, which it would accept, are refused first, and so is any character
 * above U+007F, of which Node's decoder reads only the low byte (U+0165 would decode as `e`): a string
 * is pure ASCII exactly when its UTF-8 length equals its length.
 */
export function decodeCanonicalBase64url(s: string): Buffer | undefined {
  const rest = s.length & 3;
  if (rest === 1 || s.indexOf('+') !== -1 || s.indexOf('/') !== -1) return undefined;
  if (Buffer.byteLength(s, 'utf8') !== s.length) return undefined;
  const bytes = Buffer.from(s, 'base64url');
  if (bytes.length !== (s.length * 3) >> 2) return undefined;
  if (rest !== 0 && (VALUE[s.charCodeAt(s.length - 1)]! & (rest === 2 ? 0x0f : 0x03)) !== 0) return undefined;
  return bytes;
}

/**
 * Encodes bytes or a UTF-8 string as unpadded base64url.
 *
 * @example
 * ```ts
 * encodeBase64url('{"alg":"EdDSA"}'); // 'eyJhbGciOiJFZERTQSJ9'
 * ```
 */
export function encodeBase64url(input: string | Uint8Array): string {
  return (typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input)).toString('base64url');
}
