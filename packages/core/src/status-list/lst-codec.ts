import { deflateSync, inflateSync } from 'node:zlib';
import { RevocableError } from '../errors.js';
import { decodeCanonicalBase64url } from '../token/base64url.js';

/** Limits applied while decoding an `lst`. */
export interface StatusListLimits {
  /**
   * Most bytes the decompressed list may hold. Decompression stops as soon as the output would
   * exceed it, so a small `lst` that inflates to gigabytes (a zlib bomb) costs at most this much.
   * Default 8 MiB: 64M entries at 1 bit, 8M at 8 bits.
   */
  readonly maxBytes: number;
}

/**
 * The default {@link StatusListLimits}.
 *
 * @example
 * ```ts
 * StatusList.decode(lst, bits, { maxBytes: 4 * DEFAULT_STATUS_LIST_LIMITS.maxBytes }); // a larger list
 * ```
 */
export const DEFAULT_STATUS_LIST_LIMITS: StatusListLimits = Object.freeze({ maxBytes: 8 * 1024 * 1024 });

function invalid(message: string, cause?: unknown): RevocableError {
  return new RevocableError(
    'ERR_STATUS_LIST_INVALID',
    message,
    undefined,
    cause === undefined ? {} : { cause },
  );
}

/**
 * The `lst` of a byte array: DEFLATE in the ZLIB format (RFC 1950), at the highest compression level
 * as the draft recommends, then unpadded base64url.
 */
export function compressStatusBytes(bytes: Uint8Array): string {
  return deflateSync(bytes, { level: 9 }).toString('base64url');
}

/**
 * The byte array of an `lst`, strictly: canonical unpadded base64url, one complete ZLIB stream with
 * nothing after it, at most `limits.maxBytes` once inflated, and not empty. Throws
 * `ERR_STATUS_LIST_INVALID` saying which rule failed.
 */
export function decompressStatusBytes(lst: unknown, limits: StatusListLimits): Uint8Array {
  if (typeof lst !== 'string' || lst.length === 0)
    throw invalid('The status list "lst" is not a non-empty string.');
  const compressed = decodeCanonicalBase64url(lst);
  if (compressed === undefined) throw invalid('The status list "lst" is not canonical unpadded base64url.');
  let inflated: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    inflated = inflateSync(compressed, { maxOutputLength: limits.maxBytes, info: true }) as unknown as {
      buffer: Buffer;
      engine: { bytesWritten: number };
    };
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') {
      throw invalid(`The status list inflates to more than ${limits.maxBytes} bytes.`, cause);
    }
    throw invalid('The status list "lst" is not a complete ZLIB (RFC 1950) stream.', cause);
  }
  if (inflated.engine.bytesWritten !== compressed.length) {
    throw invalid('The status list "lst" has bytes after the end of its ZLIB stream.');
  }
  if (inflated.buffer.length === 0) throw invalid('The status list is empty.');
  return new Uint8Array(inflated.buffer.buffer, inflated.buffer.byteOffset, inflated.buffer.length);
}
