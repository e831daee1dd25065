import { RevocableError } from '../errors.js';
import type { IssuerLifetime, RevocationPolicy } from './validate.js';

/**
 * Checks a {@link RevocationPolicy} given by a caller and returns a frozen copy of its two fields:
 * `maxTokenLifetimeMs` a positive whole number of ms, `clockSkewMs` a whole number of ms, 0 or more,
 * and the optional per-issuer `issuers` lifetimes.
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
  const issuers = issuersOf((policy as Record<string, unknown>)['issuers'], where);
  return Object.freeze({
    maxTokenLifetimeMs: maxTokenLifetimeMs as number,
    clockSkewMs: clockSkewMs as number,
    ...(issuers === undefined ? {} : { issuers }),
  });
}

/** `policy.issuers`: absent, or `{ [iss]: { maxTokenLifetimeMs } }` with positive whole ms; frozen copy. */
function issuersOf(value: unknown, where: string): RevocationPolicy['issuers'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      `${where}.issuers must be an object of { maxTokenLifetimeMs } by issuer.`,
    );
  }
  const copy: Record<string, IssuerLifetime> = Object.create(null);
  for (const [iss, entry] of Object.entries(value)) {
    const lifetime = (entry as { maxTokenLifetimeMs?: unknown } | null)?.maxTokenLifetimeMs;
    if (iss.length === 0 || !(Number.isSafeInteger(lifetime) && (lifetime as number) > 0)) {
      throw new RevocableError(
        'ERR_CONFIG_INVALID',
        `${where}.issuers: each issuer needs maxTokenLifetimeMs, a positive whole number of milliseconds.`,
      );
    }
    copy[iss] = Object.freeze({ maxTokenLifetimeMs: lifetime as number });
  }
  return Object.freeze(copy);
}
