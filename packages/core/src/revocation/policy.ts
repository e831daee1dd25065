import { RevocableError } from '../errors.js';
import type { RevocationPolicy } from './validate.js';

/**
 * Checks a {@link RevocationPolicy} given by a caller and returns a frozen copy of its two fields:
 * `maxTokenLifetimeMs` a positive whole number of ms, `clockSkewMs` a whole number of ms, 0 or more.
 * Throws `ERR_CONFIG_INVALID` naming `where` otherwise.
 *
 * @example
 * ```ts
 * const policy = checkRevocationPolicy({ maxTokenLifetimeMs: 900_000, clockSkewMs: 60_000 });
 * const replica = new Replica({ policy });
 * ```
 */
export function checkRevocationPolicy(policy: unknown, where = 'policy'): RevocationPolicy {
  if (typeof policy !== 'object' || policy === null) {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      `${where} must be a RevocationPolicy ({ maxTokenLifetimeMs, clockSkewMs }).`,
    );
  }
  const { maxTokenLifetimeMs, clockSkewMs } = policy as Record<string, unknown>;
  if (!(Number.isSafeInteger(maxTokenLifetimeMs) && (maxTokenLifetimeMs as number) > 0)) {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      `${where}.maxTokenLifetimeMs must be a positive whole number of milliseconds.`,
    );
  }
  if (!(Number.isSafeInteger(clockSkewMs) && (clockSkewMs as number) >= 0)) {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      `${where}.clockSkewMs must be a whole number of milliseconds, 0 or more.`,
    );
  }
  return Object.freeze({
    maxTokenLifetimeMs: maxTokenLifetimeMs as number,
    clockSkewMs: clockSkewMs as number,
  });
}
