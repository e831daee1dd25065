import { createHmac, type KeyObject } from 'node:crypto';
import type { Algorithm } from '@revocable/core';
import { signWith } from '../../src/keys/signing.js';

/** Bytes put into a segment verbatim: JSON with duplicate members, odd numbers, invalid UTF-8. */
export class RawPart {
  constructor(readonly bytes: Buffer) {}
}

/** A header or payload given as JSON text, used exactly as written. */
export function rawJson(text: string): RawPart {
  return new RawPart(Buffer.from(text, 'utf8'));
}

/** A header or payload given as bytes, used exactly as written (e.g. invalid UTF-8). */
export function rawBytes(bytes: Uint8Array): RawPart {
  return new RawPart(Buffer.from(bytes));
}

/** Canonical unpadded base64url of bytes or of a UTF-8 string. */
export function b64url(input: string | Uint8Array): string {
  return (typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input)).toString('base64url');
}

/** The encoded segment for a header or payload: `RawPart` verbatim, anything else through `JSON.stringify`. */
export function encodePart(part: unknown): string {
  if (part instanceof RawPart) return b64url(part.bytes);
  const json = JSON.stringify(part);
  if (json === undefined) throw new TypeError('part cannot be written as JSON');
  return b64url(json);
}

/** Anything that can sign like a ring key. */
export interface Signer {
  readonly alg: Algorithm;
  readonly privateKey: KeyObject;
}

/** `input '.' BASE64URL(signature)`, signed by `key` over the exact `input` text. */
export function signInput(key: Signer, input: string): string {
  return `${input}.${b64url(signWith(key.alg, key.privateKey, input))}`;
}

/** A token with the given header and payload, validly signed by `key`. */
export function forgeSigned(key: Signer, header: unknown, payload: unknown): string {
  return signInput(key, `${encodePart(header)}.${encodePart(payload)}`);
}

/** A token with the given header and payload and any signature (bytes, or already-encoded segment text). */
export function forgeUnsigned(
  header: unknown,
  payload: unknown,
  signature: Uint8Array | string = '',
): string {
  const sig = typeof signature === 'string' ? signature : b64url(signature);
  return `${encodePart(header)}.${encodePart(payload)}.${sig}`;
}

/** An HS256 token whose HMAC secret is any bytes, e.g. a public key in PEM (algorithm confusion). */
export function forgeHmac(secret: Uint8Array | string, header: unknown, payload: unknown): string {
  const input = `${encodePart(header)}.${encodePart(payload)}`;
  return `${input}.${b64url(createHmac('sha256', secret).update(input, 'latin1').digest())}`;
}

/** The three segments of a compact token; throws when it does not have three. */
export function segmentsOf(token: string): [header: string, payload: string, signature: string] {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TypeError(`expected 3 segments, got ${parts.length}`);
  return parts as [string, string, string];
}

/** The JSON value of a header or payload segment. */
export function decodePart(segment: string): unknown {
  return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
}

/** The signature bytes of a token. */
export function signatureOf(token: string): Buffer {
  return Buffer.from(segmentsOf(token)[2], 'base64url');
}

/** `token` with its signature replaced by `signature` (bytes), header and payload untouched. */
export function withSignature(token: string, signature: Uint8Array): string {
  const [h, p] = segmentsOf(token);
  return `${h}.${p}.${b64url(signature)}`;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The same bytes as `segment`, written non-canonically: the unused low bits of the last character set.
 * A lenient decoder gives back the same bytes; only a canonical check can tell.
 */
export function withDirtyTrailingBits(segment: string): string {
  const rest = segment.length % 4;
  if (rest !== 2 && rest !== 3) throw new TypeError('segment has no unused trailing bits');
  const last = ALPHABET.indexOf(segment.at(-1)!);
  return segment.slice(0, -1) + ALPHABET[last | 1];
}

/** `segment` with standard base64 padding added. */
export function withPadding(segment: string): string {
  const rest = segment.length % 4;
  if (rest === 0) throw new TypeError('segment needs no padding');
  return segment + '='.repeat(4 - rest);
}

/** The length of the unpadded base64url encoding of `bytes` bytes. */
export function encodedLength(bytes: number): number {
  return Math.ceil((bytes * 4) / 3);
}

/** The P-256 group order n (FIPS 186-4 D.1.2.3). */
export const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/** A 32-byte big-endian encoding of `value`, which must fit. */
export function uint256(value: bigint): Buffer {
  if (value < 0n || value >= 1n << 256n) throw new RangeError('value does not fit in 32 bytes');
  return Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
}

/** The (r, s) of an IEEE P1363 ES256 signature. */
export function ecdsaParts(signature: Uint8Array): { r: bigint; s: bigint } {
  const hex = Buffer.from(signature).toString('hex');
  return { r: BigInt(`0x${hex.slice(0, 64)}`), s: BigInt(`0x${hex.slice(64, 128)}`) };
}

/** An IEEE P1363 ES256 signature from (r, s). */
export function ecdsaSignature(r: bigint, s: bigint): Buffer {
  return Buffer.concat([uint256(r), uint256(s)]);
}
