import type { KeyObject } from 'node:crypto';
import { RevocableError } from '../errors.js';
import { readBodyWithin } from '../net/read-body.js';
import type { Algorithm } from './algorithms.js';
import { type JWK, keyObjectFromJwk } from './jwk.js';
import { signatureLengthOf } from './signing.js';
import type { KeyResolver, VerificationKey } from './verification-key.js';

/** Options of a {@link RemoteJwks}. Checked when it is created; a mistake throws `ERR_CONFIG_INVALID`. */
export interface RemoteJwksOptions {
  /** The JWKS URL, from configuration or a validated discovery document; never from a token. */
  readonly url: string | URL;
  /** Abort a fetch after this many ms. Default 5,000. */
  readonly timeoutMs?: number;
  /** Refetch in the background once the keys are this old, ms. Default 600,000 (10 min). */
  readonly maxAgeMs?: number;
  /** Least time between two fetch attempts caused by unknown `kid`s or background refreshes, ms. Default 30,000. */
  readonly cooldownMs?: number;
  /**
   * Keys not refreshed successfully for this long are dropped, ms: while the key set cannot be
   * fetched, the keys held keep working this long after their last successful fetch, then every
   * verify fails with `ERR_JWKS_UNAVAILABLE` (never an accept with keys the issuer may have
   * withdrawn meanwhile). At least `maxAgeMs`. Default 86,400,000 (24 h).
   */
  readonly expireAfterMs?: number;
  /** Largest accepted response body, bytes. Default 256 KiB. */
  readonly maxBytes?: number;
  /** Most keys kept from one response (usable keys beyond it are ignored). Default 64. */
  readonly maxKeys?: number;
  /** Allow `http:` for `localhost`, `127.0.0.1` and `[::1]` (tests, local stand-ins). Default `false`. */
  readonly allowInsecureLocalhost?: boolean;
  /** The fetch implementation. Default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Clock in epoch milliseconds; for tests. */
  readonly clock?: () => number;
}

/** Why a JWK of a fetched set was not used; see {@link RemoteJwks.skipped}. */
export interface SkippedJwk {
  /** The key's `kid`, when it had a usable one. */
  readonly kid: string | undefined;
  readonly reason: string;
}

class RemoteKey implements VerificationKey {
  /**
   * The last successful fetch that listed this key plus `expireAfterMs`: past it, the verifier's cache
   * of tokens this key verified stops answering too (not only `get`).
   */
  verifyUntil = Number.POSITIVE_INFINITY;
  readonly signatureLength: number;
  removed = false;

  constructor(
    readonly kid: string,
    readonly alg: Algorithm,
    readonly keyObject: KeyObject,
  ) {
    this.signatureLength = signatureLengthOf(alg, keyObject);
  }
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Members that only private or symmetric keys have: a published set must never carry them. */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

function config(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

function unavailable(message: string, cause?: unknown): RevocableError {
  return new RevocableError('ERR_JWKS_UNAVAILABLE', message, undefined, cause === undefined ? {} : { cause });
}

/**
 * Checks that a URL Revocable is told to fetch (a JWKS, a discovery document) is `https:`, or `http:`
 * on a loopback host when `allowInsecureLocalhost` is set. Throws `ERR_CONFIG_INVALID` otherwise.
 * Returns the parsed URL.
 *
 * @example
 * ```ts
 * const url = assertFetchableUrl('https://login.example/keys', false, 'jwksUri');
 * ```
 */
export function assertFetchableUrl(value: string | URL, allowInsecureLocalhost: boolean, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw config(`${what} is not a valid URL.`);
  }
  if (url.username !== '' || url.password !== '') throw config(`${what} must not carry credentials.`);
  if (url.hash !== '') throw config(`${what} must not have a fragment.`);
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && allowInsecureLocalhost && LOOPBACK_HOSTS.has(url.hostname)) return url;
  throw config(
    url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname)
      ? `${what} uses http: on a loopback host; set allowInsecureLocalhost to allow it.`
      : `${what} must be an https: URL.`,
  );
}

function readLimited(response: Response, maxBytes: number): Promise<string> {
  return readBodyWithin(response, maxBytes, () =>
    unavailable(`The response is larger than ${maxBytes} bytes.`),
  );
}

/**
 * GETs a JSON object with a timeout and a size limit, never following redirects. Throws
 * `ERR_JWKS_UNAVAILABLE` for any network, status or parse failure (the message says which).
 *
 * @example
 * ```ts
 * const doc = await fetchJsonObject(fetch, new URL('https://issuer.example/.well-known/openid-configuration'), { timeoutMs: 5000, maxBytes: 65536 });
 * ```
 */
export async function fetchJsonObject(
  fetchImpl: typeof globalThis.fetch,
  url: URL,
  limits: { readonly timeoutMs: number; readonly maxBytes: number },
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(limits.timeoutMs),
    });
  } catch (cause) {
    const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
    throw unavailable(
      timedOut ? `${url.origin} did not answer in time.` : `${url.origin} is unreachable.`,
      cause,
    );
  }
  let text: string;
  try {
    if (!response.ok) throw unavailable(`${url.origin} answered HTTP ${response.status}.`);
    text = await readLimited(response, limits.maxBytes);
  } catch (cause) {
    if (!response.bodyUsed) await response.body?.cancel().catch(() => {});
    if (cause instanceof RevocableError) throw cause;
    throw unavailable(`Reading the response from ${url.origin} failed.`, cause);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw unavailable(`${url.origin} did not answer with JSON.`, cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw unavailable(`${url.origin} did not answer with a JSON object.`);
  }
  return value as Record<string, unknown>;
}

function kidOf(entry: unknown): string | undefined {
  if (typeof entry !== 'object' || entry === null) return undefined;
  const kid = (entry as { kid?: unknown }).kid;
  return typeof kid === 'string' && kid.length > 0 && kid.length <= 256 ? kid : undefined;
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (!Number.isFinite(result) || result <= 0) throw config(`${name} must be a positive number.`);
  return result;
}

/**
 * The signing keys of an external issuer, fetched from its JWKS URL and held as node:crypto
 * `KeyObject`s (each pinned to one algorithm by core's JWK rules). A {@link KeyResolver} for the
 * {@link Verifier}: `get` is synchronous and never waits for the network.
 *
 * - **Cache and background refresh.** Keys are refetched in the background once older than
 *   `maxAgeMs` (the first `get` after that starts it; the stale keys keep answering meanwhile).
 * - **Unknown `kid`.** `refresh(kid)` refetches at most once per `cooldownMs`: a flood of tokens with
 *   made-up `kid`s costs one fetch per cool-down, never one per request. Concurrent callers share one
 *   fetch.
 * - **Failures.** A failed fetch (network, timeout, HTTP status, bad JSON, no usable key) keeps the
 *   keys already held. `refresh` then rejects with `ERR_JWKS_UNAVAILABLE` (HTTP 503), also during the
 *   cool-down that follows, so an outage is reported as one rather than as bad tokens.
 * - **Rollover.** A key absent from a later successful fetch is dropped and marked `removed`, so the
 *   verifier's cache forgets what it verified; a key whose material changed under the same `kid` is
 *   replaced the same way.
 * - **Unusable keys are skipped, not fatal**: `use` other than `sig`, `key_ops` without `verify`, no
 *   `kid`, unsupported `kty`/`crv`/`alg`, weak RSA, symmetric (`oct`) or private members. See
 *   {@link RemoteJwks.skipped}.
 *
 * The URL is fixed at construction: keys never come from a token (`jku`, `x5u` and `jwk` headers are
 * refused by the verifier), and redirects are not followed.
 *
 * @example
 * ```ts
 * const keys = new RemoteJwks({ url: 'https://login.microsoftonline.com/<tenant>/discovery/v2.0/keys' });
 * await keys.load(); // optional: fail fast at startup
 * const verifier = new Verifier({ keys, issuer, audience, revocation: replica, types: ['JWT'], tokenIdClaim: 'uti', requiredClaims: ['uti'] });
 * ```
 */
export class RemoteJwks implements KeyResolver {
  readonly url: URL;
  readonly #timeoutMs: number;
  readonly #maxAgeMs: number;
  readonly #cooldownMs: number;
  readonly #expireAfterMs: number;
  readonly #maxBytes: number;
  readonly #maxKeys: number;
  readonly #fetch: typeof globalThis.fetch;
  readonly #clock: () => number;
  #keys = new Map<string, RemoteKey>();
  #skipped: readonly SkippedJwk[] = [];
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  #lastError: RevocableError | undefined;
  #inflight: Promise<void> | undefined;
  #fetches = 0;

  constructor(options: RemoteJwksOptions) {
    if (!options || options.url === undefined) throw config('url is required.');
    this.url = assertFetchableUrl(options.url, options.allowInsecureLocalhost === true, 'The JWKS url');
    this.#timeoutMs = positive(options.timeoutMs, 5000, 'timeoutMs');
    this.#maxAgeMs = positive(options.maxAgeMs, 600_000, 'maxAgeMs');
    this.#cooldownMs = positive(options.cooldownMs, 30_000, 'cooldownMs');
    this.#expireAfterMs = positive(options.expireAfterMs, 86_400_000, 'expireAfterMs');
    if (this.#expireAfterMs < this.#maxAgeMs) throw config('expireAfterMs must be at least maxAgeMs.');
    this.#maxBytes = positive(options.maxBytes, 256 * 1024, 'maxBytes');
    this.#maxKeys = positive(options.maxKeys, 64, 'maxKeys');
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw config('fetch must be a function.');
    this.#fetch = fetchImpl;
    this.#clock = options.clock ?? Date.now;
  }

  /** {@inheritDoc KeyResolver.get} Starts a background refresh when the keys are older than `maxAgeMs`. */
  get(kid: string): VerificationKey | undefined {
    const now = this.#clock();
    if (
      now - this.#fetchedAt >= this.#maxAgeMs &&
      now - this.#attemptedAt >= this.#cooldownMs &&
      this.#inflight === undefined
    ) {
      this.#start().catch(() => {});
    }
    return this.#expired(now) ? undefined : this.#keys.get(kid);
  }

  /** True when the keys held are past `expireAfterMs` since their last successful fetch. */
  #expired(now: number): boolean {
    return now - this.#fetchedAt > this.#expireAfterMs;
  }

  /**
   * {@inheritDoc KeyResolver.refresh}
   * Rejects with `ERR_JWKS_UNAVAILABLE` when the last attempt failed.
   */
  async refresh(kid: string): Promise<boolean> {
    if (this.#keys.has(kid) && !this.#expired(this.#clock())) return true;
    if (this.#inflight !== undefined) {
      await this.#inflight;
      return true;
    }
    if (this.#clock() - this.#attemptedAt < this.#cooldownMs) {
      if (this.#lastError !== undefined) throw this.#lastError;
      if (this.#keys.size > 0 && this.#expired(this.#clock())) {
        throw unavailable(`The key set at ${this.url.origin} has not been refreshed within its expiry.`);
      }
      return false;
    }
    await this.#start();
    return true;
  }

  /**
   * Fetches the key set now, ignoring the cool-down (a fetch already under way is shared). Rejects
   * with `ERR_JWKS_UNAVAILABLE` when it fails; the keys held before stay in use.
   *
   * @example
   * ```ts
   * await keys.load(); // at startup: fail fast when the issuer is unreachable
   * ```
   */
  load(): Promise<void> {
    return this.#inflight ?? this.#start();
  }

  /** The `kid`s currently usable (none once the keys are past `expireAfterMs`). */
  get kids(): string[] {
    return this.#expired(this.#clock()) ? [] : [...this.#keys.keys()];
  }

  /** The keys of the last successful fetch that were not used, and why. */
  get skipped(): readonly SkippedJwk[] {
    return this.#skipped;
  }

  /** Epoch ms of the last successful fetch (`-Infinity` before the first). */
  get fetchedAt(): number {
    return this.#fetchedAt;
  }

  /** How many fetches were started, successful or not. */
  get fetches(): number {
    return this.#fetches;
  }

  /** The error of the last attempt, or `undefined` when it succeeded. */
  get lastError(): RevocableError | undefined {
    return this.#lastError;
  }

  #start(): Promise<void> {
    this.#attemptedAt = this.#clock();
    this.#fetches++;
    const run = this.#fetchAndApply().finally(() => {
      this.#inflight = undefined;
    });
    this.#inflight = run;
    return run;
  }

  async #fetchAndApply(): Promise<void> {
    try {
      const body = await fetchJsonObject(this.#fetch, this.url, {
        timeoutMs: this.#timeoutMs,
        maxBytes: this.#maxBytes,
      });
      const { keys, skipped } = await this.#importSet(body);
      if (keys.size === 0) {
        throw unavailable(`The key set at ${this.url.origin} has no usable signing key.`);
      }
      this.#apply(keys);
      this.#skipped = skipped;
      this.#fetchedAt = this.#clock();
      for (const key of keys.values()) key.verifyUntil = this.#fetchedAt + this.#expireAfterMs;
      this.#lastError = undefined;
    } catch (err) {
      this.#lastError =
        err instanceof RevocableError && err.code === 'ERR_JWKS_UNAVAILABLE'
          ? err
          : unavailable(`The key set at ${this.url.origin} could not be loaded.`, err);
      throw this.#lastError;
    }
  }

  async #importSet(
    body: Record<string, unknown>,
  ): Promise<{ keys: Map<string, RemoteKey>; skipped: SkippedJwk[] }> {
    const list = body['keys'];
    if (!Array.isArray(list)) throw unavailable(`The document at ${this.url.origin} is not a JWK Set.`);
    const keys = new Map<string, RemoteKey>();
    const skipped: SkippedJwk[] = [];
    for (const entry of list) {
      const kid = kidOf(entry);
      const reason = await this.#importOne(entry, kid, keys);
      if (reason !== undefined) skipped.push({ kid, reason });
    }
    return { keys, skipped };
  }

  /** Imports one JWK into `into`; returns why it was skipped, or `undefined` when it was kept. */
  async #importOne(
    entry: unknown,
    kid: string | undefined,
    into: Map<string, RemoteKey>,
  ): Promise<string | undefined> {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'not a JSON object';
    const jwk = entry as JWK;
    if (kid === undefined) return 'no usable kid';
    if (into.has(kid)) return 'duplicate kid';
    if (jwk.use !== undefined && jwk.use !== 'sig')
      return `use is "${String(jwk.use).slice(0, 16)}", not "sig"`;
    if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) {
      return 'key_ops does not allow verify';
    }
    if (jwk.kty === 'oct') return 'symmetric keys are never taken from a published key set';
    if (SECRET_MEMBERS.some((member) => (jwk as Record<string, unknown>)[member] !== undefined)) {
      return 'carries private key members';
    }
    if (into.size >= this.#maxKeys) return 'too many keys in the set';
    try {
      const { alg, key } = await keyObjectFromJwk(jwk);
      const current = this.#keys.get(kid);
      into.set(
        kid,
        current !== undefined && current.alg === alg && current.keyObject.equals(key)
          ? current
          : new RemoteKey(kid, alg, key),
      );
      return undefined;
    } catch (err) {
      return err instanceof RevocableError ? err.message : 'could not be imported';
    }
  }

  #apply(next: Map<string, RemoteKey>): void {
    for (const [kid, key] of this.#keys) if (next.get(kid) !== key) key.removed = true;
    this.#keys = next;
  }
}
