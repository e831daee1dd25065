import { RevocableError } from '@revocable/core';

/**
 * The key prefix used when none is given.
 *
 * @example
 * ```ts
 * streamKey({ issuer, keyPrefix: DEFAULT_KEY_PREFIX }) === streamKey({ issuer }); // true
 * ```
 */
export const DEFAULT_KEY_PREFIX = 'revocable';

/**
 * Where one issuer's feed lives in Redis.
 *
 * @example
 * ```ts
 * const where: StreamKeyOptions = { issuer: 'https://auth.example', keyPrefix: 'prod' };
 * ```
 */
export interface StreamKeyOptions {
  /** The issuer (`iss`) whose revocations the stream carries, e.g. `https://auth.example`. */
  readonly issuer: string;
  /** Prepended inside the hash tag; letters, digits and `._:-`. Default `revocable`. */
  readonly keyPrefix?: string;
}

// Hash tags end at the first `}`: braces in an issuer would move the slot or split the tag, so they,
// `%` (to keep the mapping one-to-one) and control characters are percent-encoded.
function escapeIssuer(issuer: string): string {
  return issuer.replace(/[{}%\x00-\x1f\x7f]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * The Redis key of an issuer's revocation stream: `{<prefix>:<issuer>}:revocations`. The part in
 * braces is the Redis Cluster hash tag, so every key of one issuer lands in one slot (and one issuer's
 * feed never needs a cross-slot command), while different issuers spread over the cluster. Braces in
 * the issuer are percent-encoded so they cannot end the tag early.
 *
 * @example
 * ```ts
 * streamKey({ issuer: 'https://auth.example' });                      // '{revocable:https://auth.example}:revocations'
 * streamKey({ issuer: 'https://auth.example', keyPrefix: 'prod' });   // '{prod:https://auth.example}:revocations'
 * ```
 */
export function streamKey(options: StreamKeyOptions): string {
  const prefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9._:-]{1,64}$/.test(prefix)) {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      'keyPrefix must be 1 to 64 letters, digits or "._:-" characters.',
    );
  }
  if (typeof options.issuer !== 'string' || options.issuer.length === 0 || options.issuer.length > 1024) {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      'issuer must be a non-empty string of at most 1,024 characters.',
    );
  }
  return `{${prefix}:${escapeIssuer(options.issuer)}}:revocations`;
}
