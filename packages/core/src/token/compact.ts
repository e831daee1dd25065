import { RevocableError } from '../errors.js';
import { decodeCanonicalBase64url } from './base64url.js';

// Fatal: invalid UTF-8 is refused, never replaced with U+FFFD. `ignoreBOM`: a BOM stays in the text
// (and JSON.parse refuses it), so different bytes never read as the same claims.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

import { countTopLevelMembers } from './json-members.js';

/** Size limits applied before any decoding work. */
export interface SizeLimits {
  /** Longest accepted token, in characters. Default 8192. */
  readonly maxTokenLength: number;
  /** Longest accepted encoded header segment, in characters. Default 1024. */
  readonly maxHeaderLength: number;
}

export const DEFAULT_SIZE_LIMITS: SizeLimits = { maxTokenLength: 8192, maxHeaderLength: 1024 };

/** A JWS in compact serialization, split and decoded but not yet trusted. */
export interface ParsedCompact {
  readonly header: Record<string, unknown>;
  readonly payload: Record<string, unknown>;
  /** `BASE64URL(header) '.' BASE64URL(payload)`, the bytes the signature covers. */
  readonly signingInput: string;
  readonly signature: Buffer;
}

function malformed(message: string): RevocableError {
  return new RevocableError('ERR_TOKEN_MALFORMED', message);
}

/** Decodes one segment strictly: canonical base64url, UTF-8, a JSON object without duplicate members. */
export function decodeJsonObject(segment: string, what: 'header' | 'payload'): Record<string, unknown> {
  const bytes = segment.length === 0 ? undefined : decodeCanonicalBase64url(segment);
  if (bytes === undefined) throw malformed(`The token's ${what} is not canonical base64url.`);
  // RFC 7515 §5.2: the header and payload are UTF-8. Invalid sequences are refused, not replaced with
  // U+FFFD, so two different signed byte strings can never read as the same claims.
  let json: string;
  try {
    json = UTF8.decode(bytes);
  } catch {
    throw malformed(`The token's ${what} is not valid UTF-8.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw malformed(`The token's ${what} is not valid JSON.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw malformed(`The token's ${what} is not a JSON object.`);
  }
  if (countTopLevelMembers(json) !== Object.keys(value).length) {
    throw malformed(`The token's ${what} has duplicate member names.`);
  }
  return value as Record<string, unknown>;
}

/** The three segments of a compact JWS, located but not decoded. */
export interface CompactSegments {
  readonly header: string;
  readonly payload: string;
  readonly signature: string;
  /** `header '.' payload`: what the signature covers. */
  readonly signingInput: string;
}

/**
 * Locates the segments of a compact JWS after the size limits: exactly three segments (a JWE's five
 * are refused), the header within its own limit. Nothing is decoded.
 */
export function splitCompact(token: unknown, limits: SizeLimits): CompactSegments {
  if (typeof token !== 'string' || token.length === 0) throw malformed('The token is empty or not a string.');
  if (token.length > limits.maxTokenLength) {
    throw new RevocableError(
      'ERR_TOKEN_TOO_LARGE',
      `The token is longer than ${limits.maxTokenLength} characters.`,
    );
  }
  const first = token.indexOf('.');
  if (first === -1) throw malformed('The token does not have three segments.');
  if (first > limits.maxHeaderLength) {
    throw new RevocableError(
      'ERR_TOKEN_TOO_LARGE',
      `The token header is longer than ${limits.maxHeaderLength} characters.`,
    );
  }
  const second = token.indexOf('.', first + 1);
  if (second === -1) throw malformed('The token does not have three segments.');
  if (token.indexOf('.', second + 1) !== -1) {
    throw malformed('The token has more than three segments (an encrypted JWE is not accepted).');
  }
  return {
    header: token.slice(0, first),
    payload: token.slice(first + 1, second),
    signature: token.slice(second + 1),
    signingInput: token.slice(0, second),
  };
}

/** Decodes the signature segment (canonical base64url; may be empty, which no key accepts). */
export function decodeSignature(segment: string): Buffer {
  const bytes = decodeCanonicalBase64url(segment);
  if (bytes === undefined) throw malformed("The token's signature is not canonical base64url.");
  return bytes;
}

/**
 * Splits and decodes a compact JWS strictly: size limits first, exactly three segments, canonical
 * base64url, JSON objects without duplicate members. Nothing here is trusted yet: the signature is unchecked.
 *
 * @example
 * ```ts
 * const { header, payload } = parseCompact(token, DEFAULT_SIZE_LIMITS);
 * ```
 */
export function parseCompact(token: unknown, limits: SizeLimits): ParsedCompact {
  const segments = splitCompact(token, limits);
  const header = decodeJsonObject(segments.header, 'header');
  const payload = decodeJsonObject(segments.payload, 'payload');
  return {
    header,
    payload,
    signingInput: segments.signingInput,
    signature: decodeSignature(segments.signature),
  };
}
