import { RevocableError } from '../errors.js';

/**
 * A replay memory for one-time tokens (back-channel logout tokens, Security Event Tokens): which
 * token ids (`jti`) have been accepted, each held until its own time, shared by every process that
 * uses the same store.
 *
 * Contract (checked by the seen-token-store conformance suite for every backend):
 * - Ids live in a `scope` (e.g. `backchannel-logout:<issuer>`, `ssf:<transmitter>`): the same `id` in
 *   two scopes is two entries. Scope and id are compared exactly (case and every character count).
 * - `remember(scope, id, until)` is atomic and **exactly one caller wins**: of any number of concurrent
 *   calls, from any number of processes sharing the storage, for a pair not held or held only until a
 *   time already past, exactly one answers `true` and holds the pair until `until` (epoch ms); every
 *   other answers `false`. A pair is held while `until > now` (the store's clock): at `now == until`
 *   it has expired and the next `remember` reclaims it (answers `true` and holds it until the new
 *   `until`). A call answering `false` changes nothing: a replay never extends the first `until`.
 * - `forget(scope, id)` drops the pair (the work it guarded failed: a retry must be accepted); forgetting
 *   a pair not held does nothing. It never throws for "not found".
 * - `purgeExpired(now)` deletes pairs whose `until <= now` and answers how many it deleted; it never
 *   removes a pair still held at `now`. Expired pairs are refused nowhere even before a purge: purging
 *   only frees their space.
 * - Bad arguments (an empty or non-string `scope` or `id`, a non-finite `until`) reject with
 *   `ERR_CONFIG_INVALID` and change nothing; storage failures reject with `ERR_LOG_UNAVAILABLE`, and
 *   then the caller cannot know whether the pair is held: it must refuse the token (fail closed).
 * - A bounded implementation (the in-memory one) may drop the pair recorded first when full; it says so.
 *
 * @example
 * ```ts
 * const until = (claims.iat + 120) * 1000;
 * if (!(await seen.remember(`ssf:${claims.iss}`, claims.jti, until))) throw replay();
 * try {
 *   await applyEvent(claims);
 * } catch (err) {
 *   await seen.forget(`ssf:${claims.iss}`, claims.jti); // let the transmitter retry
 *   throw err;
 * }
 * ```
 */
export interface SeenTokenStore {
  /** Holds `id` in `scope` until `until` (epoch ms): `true` for the first caller, `false` for a replay. */
  remember(scope: string, id: string, until: number): Promise<boolean>;
  /** Drops `id` from `scope`, so the next `remember` of it answers `true`. */
  forget(scope: string, id: string): Promise<void>;
  /** Deletes every pair whose `until <= now`; answers how many. */
  purgeExpired(now: number): Promise<number>;
}

/**
 * Checks `remember`/`forget` arguments for a {@link SeenTokenStore} implementation: `ERR_CONFIG_INVALID`
 * for an empty or non-string scope or id, or (when given) a non-finite `until`.
 *
 * @example
 * ```ts
 * checkSeenTokenArguments(scope, id, until);
 * ```
 */
export function checkSeenTokenArguments(scope: unknown, id: unknown, until?: unknown): void {
  if (typeof scope !== 'string' || scope.length === 0) {
    throw new RevocableError('ERR_CONFIG_INVALID', 'A seen-token scope must be a non-empty string.');
  }
  if (typeof id !== 'string' || id.length === 0) {
    throw new RevocableError('ERR_CONFIG_INVALID', 'A seen-token id must be a non-empty string.');
  }
  if (until !== undefined && (typeof until !== 'number' || !Number.isFinite(until))) {
    throw new RevocableError('ERR_CONFIG_INVALID', 'A seen-token "until" must be a finite epoch ms.');
  }
}
