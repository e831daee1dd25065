import { RevocableError, type RuleKind } from '../errors.js';
import type { Algorithm } from '../keys/algorithms.js';
import type { KeyResolver } from '../keys/verification-key.js';
import type { RevocationCheck, TokenFacts } from '../revocation/check.js';
import { checkRevocationPolicy } from '../revocation/policy.js';
import { DEFAULT_REVOCATION_POLICY, type RevocationPolicy } from '../revocation/validate.js';
import { type HeldList, HeldLists } from './held-lists.js';
import { DEFAULT_STATUS_LIST_LIMITS } from './lst-codec.js';
import type { StatusListReference } from './reference.js';

/** What a {@link StatusListCheck} does once the list it holds is older than `maxStalenessMs`. */
export type StatusListStalePolicy = 'fail-closed' | 'fail-open';

/** Options of a {@link StatusListCheck}. Checked when it is made; a mistake throws `ERR_CONFIG_INVALID`. */
export interface StatusListCheckOptions {
  /** The status issuer's keys: usually the verifier's own (a `KeyRing`, a `RemoteJwks`). */
  readonly keys: KeyResolver;
  /**
   * A check consulted first for every token (usually the `Replica`); its policy is this check's. A
   * token it revokes is refused without looking at any list.
   */
  readonly revocation?: RevocationCheck;
  /** The policy when there is no `revocation` to take it from. Default {@link DEFAULT_REVOCATION_POLICY}. */
  readonly policy?: RevocationPolicy;
  /** When set, every Status List Token must carry this `iss`. Default: not required (the draft's rule). */
  readonly issuer?: string;
  /** Accepted algorithms for the lists. Default: all four (each key is still pinned to one). */
  readonly algorithms?: readonly Algorithm[];
  /**
   * Longest time since the status provider last vouched for a list (a successful fetch) before the
   * stale policy applies, ms. Default 300,000 (5 min). A list past its `exp` is never relied upon.
   */
  readonly maxStalenessMs?: number;
  /**
   * `fail-closed` (default): a token whose list is stale, expired or cannot be fetched is refused with
   * `ERR_REVOCATION_STALE` (HTTP 503). `fail-open`: it is judged on the list held, however old or expired, and
   * accepted when there is none; each such acceptance is counted in {@link StatusListCheck.staleAccepts}.
   */
  readonly stalePolicy?: StatusListStalePolicy;
  /** Status values that let a token through. Default `[0]` (VALID): INVALID, SUSPENDED and the rest refuse it. */
  readonly validStatuses?: readonly number[];
  /**
   * Least time between two fetches of one list, ms: a `ttl` or `max-age` shorter than this is
   * raised to it, and a failed fetch is retried no sooner. Default 5,000.
   */
  readonly minRefreshMs?: number;
  /** Abort a fetch after this many ms. Default 5,000. */
  readonly timeoutMs?: number;
  /** Largest accepted response body, bytes. Default 4 MiB. */
  readonly maxBytes?: number;
  /** Most bytes a decompressed list may hold. Default 8 MiB. */
  readonly maxListBytes?: number;
  /** Most lists held at once; the least recently used is dropped for a new one. Default 16. */
  readonly maxLists?: number;
  /** Seconds of clock skew tolerated on a list's `iat`, `exp`, `nbf`. Default 5. */
  readonly clockToleranceSec?: number;
  /** Allow `http:` list URIs on `localhost`, `127.0.0.1` and `[::1]` (tests). Default `false`. */
  readonly allowInsecureLocalhost?: boolean;
  /** The fetch implementation. Default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Clock in epoch milliseconds; for tests. */
  readonly clock?: () => number;
}

function config(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  const result = value ?? fallback;
  if (!(Number.isFinite(result) && result > 0)) throw config(`${name} must be a positive number.`);
  return result;
}

function stale(message: string, cause?: unknown): RevocableError {
  return new RevocableError('ERR_REVOCATION_STALE', message, undefined, cause === undefined ? {} : { cause });
}

/**
 * A {@link RevocationCheck} for tokens that carry `status.status_list { idx, uri }`
 * (draft-ietf-oauth-status-list): it fetches the Status List Token at `uri`, verifies it (`typ`,
 * signature with `keys`, `sub` equal to `uri`, `exp`), caches it per its `ttl` (or the response's
 * `Cache-Control: max-age` when it has none), and refuses a token whose entry is not VALID
 * (`ERR_TOKEN_REVOKED`, rule `token`). Tokens without the claim are judged by `revocation` alone.
 *
 * How it fits the verifier's contract: `check` answers synchronously from the lists held. A list not
 * fetched yet, expired, or stale under `fail-closed` makes `check` throw `ERR_REVOCATION_STALE` and
 * start a background fetch; the verifier's async `verify` then calls `resolveStale`, which waits for
 * that fetch and answers. So `verifier.verify()` fetches on first use; `verifySync()` answers 503
 * until {@link StatusListCheck.load} or a background fetch has brought the list.
 *
 * A list is refreshed in the background once its `ttl` has passed (at least `minRefreshMs`, at most
 * half of `maxStalenessMs`, never after `exp`) while the held one keeps answering. A failed fetch
 * keeps it too until it is `maxStalenessMs` old; a fetched list older (`iat`) than the held one is
 * refused, so a replayed copy cannot undo a revocation. An `idx` beyond the list held causes a fetch
 * (the list may have grown); beyond a fresh list it is refused with `ERR_STATUS_LIST_INVALID` (HTTP 401),
 * as is a `uri` that is not `https:`.
 *
 * @example
 * ```ts
 * const revocation = new StatusListCheck({ keys: jwks, revocation: replica });
 * const verifier = new Verifier({ keys: jwks, issuer, audience, revocation });
 * const { claims } = await verifier.verify(token); // fetches the token's list on first use
 * ```
 */
export class StatusListCheck implements RevocationCheck {
  readonly #inner: RevocationCheck | undefined;
  readonly #policy: RevocationPolicy;
  readonly #maxStalenessMs: number;
  readonly #failOpen: boolean;
  readonly #valid: ReadonlySet<number>;
  readonly #clock: () => number;
  readonly #lists: HeldLists;
  #staleAccepts = 0;

  constructor(options: StatusListCheckOptions) {
    if (typeof options?.keys?.get !== 'function') throw config('keys must be a KeyResolver.');
    const inner = options.revocation;
    if (inner !== undefined && typeof inner?.check !== 'function') {
      throw config('revocation must be a RevocationCheck (e.g. a Replica).');
    }
    if (inner !== undefined && options.policy !== undefined) {
      throw config('Give policy or revocation (whose policy is used), not both.');
    }
    this.#policy = checkRevocationPolicy(
      inner?.policy ?? options.policy ?? DEFAULT_REVOCATION_POLICY,
      'policy',
    );
    const stalePolicy = options.stalePolicy ?? 'fail-closed';
    if (stalePolicy !== 'fail-closed' && stalePolicy !== 'fail-open') {
      throw config('stalePolicy must be fail-closed or fail-open.');
    }
    const valid = options.validStatuses ?? [0];
    if (!Array.isArray(valid) || valid.some((s) => !(Number.isInteger(s) && s >= 0 && s <= 255))) {
      throw config('validStatuses must list status values from 0 to 255.');
    }
    if (options.issuer !== undefined && (typeof options.issuer !== 'string' || options.issuer === '')) {
      throw config('issuer must be a non-empty string.');
    }
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw config('fetch must be a function.');
    const tolerance = options.clockToleranceSec ?? 5;
    if (!(Number.isFinite(tolerance) && tolerance >= 0 && tolerance <= 300)) {
      throw config('clockToleranceSec must be between 0 and 300.');
    }
    this.#inner = inner;
    this.#maxStalenessMs = positive(options.maxStalenessMs, 300_000, 'maxStalenessMs');
    this.#failOpen = stalePolicy === 'fail-open';
    this.#valid = new Set(valid);
    this.#clock = options.clock ?? Date.now;
    this.#lists = new HeldLists({
      keys: options.keys,
      issuer: options.issuer,
      algorithms: options.algorithms,
      maxStalenessMs: this.#maxStalenessMs,
      minRefreshMs: positive(options.minRefreshMs, 5_000, 'minRefreshMs'),
      timeoutMs: positive(options.timeoutMs, 5_000, 'timeoutMs'),
      maxBytes: positive(options.maxBytes, 4 * 1024 * 1024, 'maxBytes'),
      maxListBytes: positive(options.maxListBytes, DEFAULT_STATUS_LIST_LIMITS.maxBytes, 'maxListBytes'),
      maxLists: positive(options.maxLists, 16, 'maxLists'),
      clockToleranceSec: tolerance,
      allowInsecureLocalhost: options.allowInsecureLocalhost === true,
      fetch: fetchImpl,
      clock: this.#clock,
    });
  }

  /** {@inheritDoc RevocationCheck.policy} The inner check's, when there is one. */
  get policy(): RevocationPolicy {
    return this.#policy;
  }

  /** How many list fetches were started, successful or not. */
  get fetches(): number {
    return this.#lists.fetches;
  }

  /** `fail-open` only: tokens accepted without a fresh list (those a list held refused are not counted). */
  get staleAccepts(): number {
    return this.#staleAccepts;
  }

  /**
   * {@inheritDoc RevocationCheck.check}
   * Also throws `ERR_STATUS_LIST_INVALID` for a reference no list can answer (see the class).
   */
  check(facts: TokenFacts): RuleKind | undefined {
    const rule = this.#inner?.check(facts);
    if (rule !== undefined) return rule;
    const reference = facts.statusList;
    if (reference === undefined) return undefined;
    return this.#decide(reference, this.#clock(), false);
  }

  /**
   * {@inheritDoc RevocationCheck.resolveStale}
   * Lets the inner check resolve its own staleness, then fetches the token's list when the one held
   * cannot answer (waiting for a fetch under way, never fetching one list more often than
   * `minRefreshMs`), and answers from it.
   */
  async resolveStale(facts: TokenFacts): Promise<RuleKind | undefined> {
    const rule = await this.#innerDecision(facts);
    if (rule !== undefined) return rule;
    const reference = facts.statusList;
    if (reference === undefined) return undefined;
    const state = this.#lists.stateOf(reference.uri, this.#clock());
    if (!this.#canAnswer(state.held, reference, this.#clock())) await this.#lists.refresh(state);
    return this.#decide(reference, this.#clock(), true);
  }

  /**
   * Fetches the list at `uri` now (a fetch under way is shared), e.g. at startup so `verifySync` can
   * answer at once. Rejects with the reason when it fails; a list held before stays in use.
   *
   * @example
   * ```ts
   * await statusLists.load('https://auth.example/statuslists/1');
   * ```
   */
  async load(uri: string): Promise<void> {
    const state = this.#lists.stateOf(uri, this.#clock());
    await (state.inflight ?? this.#lists.start(state));
    if (state.lastError !== undefined) throw state.lastError;
  }

  async #innerDecision(facts: TokenFacts): Promise<RuleKind | undefined> {
    const inner = this.#inner;
    if (inner === undefined) return undefined;
    try {
      return inner.check(facts);
    } catch (err) {
      if (!(err instanceof RevocableError) || err.code !== 'ERR_REVOCATION_STALE' || !inner.resolveStale)
        throw err;
      return inner.resolveStale(facts);
    }
  }

  /**
   * The answer for `reference` from the list held. `final` is set by `resolveStale` after its fetch:
   * then an index beyond the list is refused and fail-open accepts without a list.
   */
  #decide(reference: StatusListReference, now: number, final: boolean): RuleKind | undefined {
    const state = this.#lists.stateOf(reference.uri, now);
    const held = state.held;
    if (held === undefined || now >= held.expiresAt) {
      this.#lists.refreshInBackground(state, now);
      // fail-open judges on an expired list as on a stale one; with no list at all it accepts, but
      // only once resolveStale has tried a fetch (`final`), so a cold start still looks first.
      if (this.#failOpen && held !== undefined && reference.idx < held.list.size) {
        return this.#statusRule(held, reference, true);
      }
      if (final && this.#failOpen) {
        this.#staleAccepts++;
        return undefined;
      }
      throw stale(
        held === undefined
          ? 'The status list of this token has not been fetched yet; try again shortly.'
          : 'The status list of this token has expired and no newer one has been fetched.',
        state.lastError,
      );
    }
    if (now >= held.refreshAt) this.#lists.refreshInBackground(state, now);
    if (reference.idx >= held.list.size) {
      if (!final) {
        this.#lists.refreshInBackground(state, now);
        throw stale("The token's index is beyond the status list held; fetching a newer one.");
      }
      throw new RevocableError(
        'ERR_STATUS_LIST_INVALID',
        `The token's status index is beyond its status list (${held.list.size} entries).`,
      );
    }
    const isStale = now - held.fetchedAt > this.#maxStalenessMs;
    if (isStale && !this.#failOpen) {
      throw stale('The status list of this token is too old to decide; try again shortly.', state.lastError);
    }
    return this.#statusRule(held, reference, isStale);
  }

  #statusRule(held: HeldList, reference: StatusListReference, countAccept: boolean): RuleKind | undefined {
    if (!this.#valid.has(held.list.get(reference.idx))) return 'token';
    if (countAccept) this.#staleAccepts++;
    return undefined;
  }

  /** Whether the list held can answer without a fetch: present, not expired, fresh, and long enough. */
  #canAnswer(held: HeldList | undefined, reference: StatusListReference, now: number): boolean {
    return (
      held !== undefined &&
      now < held.expiresAt &&
      now - held.fetchedAt <= this.#maxStalenessMs &&
      reference.idx < held.list.size
    );
  }
}
