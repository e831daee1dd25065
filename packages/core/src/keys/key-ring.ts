import { createPublicKey, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { RevocableError } from '../errors.js';
import { checkRevocationPolicy } from '../revocation/policy.js';
import { DEFAULT_REVOCATION_POLICY, type RevocationPolicy } from '../revocation/validate.js';
import { type Algorithm, MIN_RSA_BITS } from './algorithms.js';
import { type JWK, keyObjectFromJwk, publicJwk } from './jwk.js';
import { type KeyRecord, type KeyState, type KeyStore, MemoryKeyStore } from './key-store.js';
import { generateKey, recordOfKey } from './new-key.js';
import { signatureLengthOf } from './signing.js';
import type { KeyResolver, VerificationKey } from './verification-key.js';

/** Options of {@link KeyRing.open}. */
export interface KeyRingOptions {
  /** Durable storage; defaults to a {@link MemoryKeyStore}. */
  readonly store?: KeyStore;
  /** Algorithm of generated keys. Default `EdDSA` (Ed25519). */
  readonly alg?: Algorithm;
  /**
   * The revocation policy of the tokens this ring signs: a retired key keeps verifying for
   * `maxTokenLifetimeMs + clockSkewMs` after it stops signing, so every token it signed verifies until
   * it expires (plus verifiers' clock tolerance). An {@link AccessTokenIssuer} on this ring takes it by
   * default and refuses a longer one. Default {@link DEFAULT_REVOCATION_POLICY} (600 s, 60 s).
   */
  readonly policy?: RevocationPolicy;
  /** @deprecated Use `policy.maxTokenLifetimeMs` (ms); removed in the next release. */
  readonly maxTokenLifetimeSec?: number;
  /** @deprecated Use `policy.clockSkewMs` (ms); removed in the next release. */
  readonly graceSec?: number;
  /** RSA modulus size for generated RS256 keys. Default 2048. */
  readonly rsaBits?: number;
  /** Clock in epoch milliseconds; for tests. */
  readonly clock?: () => number;
  /**
   * How often the ring re-reads its store, in ms, to pick up keys rotated by another process or by
   * `revocable keys rotate`. Default 5000 with a `store`; 0 turns it off. The reload runs in the
   * background: lookups stay synchronous and never wait for it.
   */
  readonly reloadIntervalMs?: number;
  /**
   * Least time between two reloads asked for by a token naming an unknown `kid`, in ms. Default 1000:
   * a flood of made-up kids costs at most one store read a second.
   */
  readonly unknownKidReloadMs?: number;
  /** Told about a background reload that failed; the ring keeps the keys it has and tries again later. */
  readonly onReloadError?: (error: unknown) => void;
}

/** The ring's policy: `policy`, or one made of the deprecated seconds fields, checked. */
function ringPolicyOf(options: KeyRingOptions): RevocationPolicy {
  const { maxTokenLifetimeSec, graceSec } = options;
  if (options.policy !== undefined) {
    if (maxTokenLifetimeSec !== undefined || graceSec !== undefined) {
      throw new RevocableError(
        'ERR_CONFIG_INVALID',
        'Give policy, not the deprecated maxTokenLifetimeSec or graceSec as well.',
      );
    }
    return checkRevocationPolicy(options.policy);
  }
  if (
    maxTokenLifetimeSec !== undefined &&
    !(Number.isFinite(maxTokenLifetimeSec) && maxTokenLifetimeSec > 0)
  ) {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      'maxTokenLifetimeSec must be a positive number of seconds.',
    );
  }
  if (graceSec !== undefined && !(Number.isFinite(graceSec) && graceSec >= 0)) {
    throw new RevocableError('ERR_CONFIG_INVALID', 'graceSec must be zero or a positive number of seconds.');
  }
  return checkRevocationPolicy({
    maxTokenLifetimeMs:
      maxTokenLifetimeSec === undefined
        ? DEFAULT_REVOCATION_POLICY.maxTokenLifetimeMs
        : Math.round(maxTokenLifetimeSec * 1000),
    clockSkewMs: graceSec === undefined ? DEFAULT_REVOCATION_POLICY.clockSkewMs : Math.round(graceSec * 1000),
  });
}

/** Store writes are compare-and-set; a writer that keeps losing to others gives up after this many tries. */
const MAX_CHANGE_ATTEMPTS = 10;

/** What a ring change decides from the store's records: what to write, and what the caller gets back. */
interface PlannedChange<T> {
  readonly put?: readonly KeyRecord[];
  readonly delete?: readonly string[];
  readonly result: T;
}

/** The key a token is signed with. Holds private material: keep it inside the process. */
export interface SigningKey {
  readonly kid: string;
  readonly alg: Algorithm;
  readonly privateKey: KeyObject;
}

/** A key's public description, safe to show in an admin console. */
export interface KeySummary {
  readonly kid: string;
  readonly alg: Algorithm;
  readonly state: KeyState;
  readonly createdAt: number;
  readonly verifyUntil: number | undefined;
}

class RingKey implements VerificationKey {
  verifyUntil: number;
  removed = false;
  readonly signatureLength: number;

  constructor(
    public record: KeyRecord,
    readonly keyObject: KeyObject,
    readonly privateKey: KeyObject,
  ) {
    this.verifyUntil = record.verifyUntil ?? Number.POSITIVE_INFINITY;
    this.signatureLength = signatureLengthOf(record.alg, keyObject);
  }

  get kid(): string {
    return this.record.kid;
  }

  get alg(): Algorithm {
    return this.record.alg;
  }
}

/**
 * The issuer's signing keys, with rotation: there is always one `active` key that signs and one `next`
 * key already published in the JWKS, so relying parties have fetched it before it signs anything.
 * Retired keys keep verifying until the last token they signed has expired.
 *
 * Implements {@link KeyResolver}, so a {@link Verifier} in the same process can use it directly.
 *
 * Several processes may share one store. Every change is a compare-and-set of the whole ring
 * ({@link KeyStore.commit}): processes starting together on an empty store end with the same keys, and
 * two rotations at once apply one after the other. A ring re-reads its store every `reloadIntervalMs`,
 * and soon after a token names a `kid` it does not know, so a rotation made elsewhere reaches it without
 * a restart.
 *
 * @example
 * ```ts
 * const ring = await KeyRing.open({ alg: 'EdDSA' });
 * const jwks = await ring.jwks();        // publish at /.well-known/jwks.json
 * await ring.rotate();                   // next -> active, active -> retired, new next
 * ```
 */
export class KeyRing implements KeyResolver {
  readonly #store: KeyStore;
  readonly #alg: Algorithm;
  readonly #policy: RevocationPolicy;
  readonly #retireForMs: number;
  readonly #rsaBits: number;
  readonly #clock: () => number;
  readonly #unknownKidReloadMs: number;
  readonly #onReloadError: ((error: unknown) => void) | undefined;
  #keys = new Map<string, RingKey>();
  #jwks: Promise<{ keys: JWK[] }> | undefined;
  /** Reloads and changes run one at a time, in order. */
  #queue: Promise<unknown> = Promise.resolve();
  #timer: ReturnType<typeof setInterval> | undefined;
  #askedAt = Number.NEGATIVE_INFINITY;
  #asked: Promise<boolean> | undefined;
  #closed = false;

  private constructor(options: KeyRingOptions, policy: RevocationPolicy) {
    this.#store = options.store ?? new MemoryKeyStore();
    this.#alg = options.alg ?? 'EdDSA';
    this.#policy = policy;
    this.#retireForMs = policy.maxTokenLifetimeMs + policy.clockSkewMs;
    this.#rsaBits = options.rsaBits ?? 2048;
    this.#clock = options.clock ?? Date.now;
    this.#unknownKidReloadMs = options.unknownKidReloadMs ?? 1000;
    this.#onReloadError = options.onReloadError;
  }

  /**
   * Loads the ring from its store, generating an active and a next key when the store has none.
   *
   * @example
   * ```ts
   * const ring = await KeyRing.open({ store, alg: 'ES256', policy }); // the log's policy
   * ```
   */
  static async open(options: KeyRingOptions = {}): Promise<KeyRing> {
    const policy = ringPolicyOf(options);
    if (
      options.rsaBits !== undefined &&
      !(Number.isInteger(options.rsaBits) && options.rsaBits >= MIN_RSA_BITS)
    ) {
      throw new RevocableError('ERR_KEY_INVALID', `rsaBits must be at least ${MIN_RSA_BITS}.`);
    }
    for (const [name, value] of [
      ['reloadIntervalMs', options.reloadIntervalMs],
      ['unknownKidReloadMs', options.unknownKidReloadMs],
    ] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
        throw new RevocableError('ERR_CONFIG_INVALID', `${name} must be zero or a positive number of ms.`);
      }
    }
    const ring = new KeyRing(options, policy);
    // Insert-if-absent: on an empty store, of rings opening together one writes its keys, the others
    // find them when their commit fails and load them.
    await ring.#change(async (records) => {
      const put: KeyRecord[] = [];
      for (const state of ['active', 'next'] as const) {
        if (!records.some((record) => record.state === state)) put.push(await ring.#generated(state));
      }
      return { put, result: undefined };
    });
    const every = options.reloadIntervalMs ?? (options.store === undefined ? 0 : 5_000);
    if (every > 0) {
      ring.#timer = setInterval(() => void ring.#reloadQuietly(), every);
      ring.#timer.unref?.();
    }
    return ring;
  }

  /**
   * The revocation policy this ring was opened with (frozen): a retired key keeps verifying for
   * `maxTokenLifetimeMs + clockSkewMs` after it stops signing. An issuer's policy must not be longer.
   *
   * @example
   * ```ts
   * const ring = await KeyRing.open({ policy: { maxTokenLifetimeMs: 900_000, clockSkewMs: 60_000 } });
   * new AccessTokenIssuer({ keys: ring, issuer, audience }); // tokens live 900 s: ring.policy
   * ```
   */
  get policy(): RevocationPolicy {
    return this.#policy;
  }

  /** @deprecated Use `policy.maxTokenLifetimeMs / 1000`; removed in the next release. */
  get maxTokenLifetimeSec(): number {
    return this.#policy.maxTokenLifetimeMs / 1000;
  }

  /**
   * Re-reads the store, for rings shared by several processes (the ring also does it on its own, see
   * `reloadIntervalMs`). Keys gone from the store die here too.
   *
   * @example
   * ```ts
   * await ring.reload(); // after another process rotated
   * ```
   */
  reload(): Promise<void> {
    return this.#serially(async () => this.#load(await this.#store.list()));
  }

  /**
   * Stops the background reloads. The ring keeps working with the keys it has.
   *
   * @example
   * ```ts
   * await ring.close();
   * await storage.close();
   * ```
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#queue.catch(() => undefined);
  }

  async #load(records: readonly KeyRecord[]): Promise<void> {
    const next = new Map<string, RingKey>();
    for (const record of records) {
      const existing = this.#keys.get(record.kid);
      if (existing) {
        existing.record = record;
        existing.verifyUntil = record.verifyUntil ?? Number.POSITIVE_INFINITY;
        next.set(record.kid, existing);
      } else {
        const { key } = await keyObjectFromJwk(record.privateJwk);
        const verifying = record.alg === 'HS256' ? key : createPublicKey(key);
        next.set(record.kid, new RingKey(record, verifying, key));
      }
    }
    for (const [kid, key] of this.#keys) if (!next.has(kid)) key.removed = true;
    this.#keys = next;
    this.#jwks = undefined;
  }

  /** The verification key for `kid`, or `undefined` when unknown, removed or past its retirement. */
  get(kid: string): VerificationKey | undefined {
    const key = this.#keys.get(kid);
    if (key === undefined) {
      this.#askReload();
      return undefined;
    }
    return this.#clock() < key.verifyUntil ? key : undefined;
  }

  /**
   * Called by `Verifier.verify` for a `kid` it did not find: waits for the reload that miss started (at
   * most one a `unknownKidReloadMs`) and resolves whether one ran. `verifySync` never waits: the miss
   * still starts the reload, and a later call finds the key.
   *
   * @example
   * ```ts
   * if (await ring.refresh(kid)) verifier.verifySync(token);
   * ```
   */
  async refresh(kid: string): Promise<boolean> {
    if (this.#keys.has(kid)) return true;
    const pending = this.#askReload() ?? this.#asked;
    return pending === undefined ? false : pending;
  }

  /** The key that signs new tokens. */
  signingKey(): SigningKey {
    const active = this.#inState('active');
    const key = active[active.length - 1];
    if (!key) throw new RevocableError('ERR_KEY_UNKNOWN', 'The key ring has no active key.');
    return key;
  }

  /** Every key with its state, without secret material. */
  list(): KeySummary[] {
    return [...this.#keys.values()].map(({ record }) => ({
      kid: record.kid,
      alg: record.alg,
      state: record.state,
      createdAt: record.createdAt,
      verifyUntil: record.verifyUntil,
    }));
  }

  /**
   * Rotates: the `next` key becomes `active`, the active one `retired` (verifying until its last token
   * can expire), and a new `next` key is generated and published. Retired keys past their time are
   * removed. One compare-and-set of the store: a rotation that loses to another process's change reads
   * the store again and rotates what it finds.
   *
   * @example
   * ```ts
   * await ring.rotate();
   * ```
   */
  rotate(): Promise<void> {
    return this.#change(async (records) => {
      const now = this.#clock();
      const put: KeyRecord[] = records
        .filter((record) => record.state === 'active')
        .map((record) => ({ ...record, state: 'retired', verifyUntil: now + this.#retireForMs }));
      const promoted = records.find((record) => record.state === 'next');
      put.push(promoted ? { ...promoted, state: 'active' } : await this.#generated('active'));
      put.push(await this.#generated('next'));
      return { put, delete: this.#expired(records, now), result: undefined };
    });
  }

  /**
   * Removes a key at once (for a compromised key; pair it with a `key` revocation rule). Removing the
   * active key promotes the next one, and a new next key is made.
   *
   * @example
   * ```ts
   * await ring.remove(kid);
   * ```
   */
  remove(kid: string): Promise<boolean> {
    return this.#change(async (records) => {
      const removed = records.find((record) => record.kid === kid);
      if (!removed) return { result: false };
      const put: KeyRecord[] = [];
      const rest = records.filter((record) => record.kid !== kid);
      if (!rest.some((record) => record.state === 'active')) {
        const promoted = rest.find((record) => record.state === 'next');
        put.push(promoted ? { ...promoted, state: 'active' } : await this.#generated('active'));
      }
      if (!rest.some((record) => record.state === 'next' && !put.some((p) => p.kid === record.kid))) {
        put.push(await this.#generated('next'));
      }
      return { put, delete: [kid], result: true };
    });
  }

  /**
   * Removes retired keys whose last token has expired. Returns how many were removed.
   *
   * @example
   * ```ts
   * setInterval(() => void ring.pruneRetired(), 60_000);
   * ```
   */
  pruneRetired(): Promise<number> {
    return this.#change(async (records) => {
      const expired = this.#expired(records, this.#clock());
      return { delete: expired, result: expired.length };
    });
  }

  /**
   * Imports an existing key (private JWK, or `oct` for HS256) in the given state.
   * Throws `ERR_KEY_INVALID` for unsupported or weak keys (RSA < 2048 bits, HMAC < 256 bits).
   *
   * @example
   * ```ts
   * const kid = await ring.importJwk(jwk, 'next');
   * ```
   */
  async importJwk(jwk: JWK, state: KeyState = 'next'): Promise<string> {
    const { key } = await keyObjectFromJwk(jwk);
    if (key.type === 'public')
      throw new RevocableError('ERR_KEY_INVALID', 'A signing key needs its private part.');
    const record = await recordOfKey(key, state, this.#clock());
    return this.#change(async () => ({ put: [record], result: record.kid }));
  }

  /** The public JWK Set of every key that verifies (HS256 secrets are never published). */
  jwks(): Promise<{ keys: JWK[] }> {
    this.#jwks ??= Promise.all(
      [...this.#keys.values()]
        .filter((key) => key.alg !== 'HS256' && this.get(key.kid) !== undefined)
        .map((key) => publicJwk(key.keyObject, key.alg, key.kid)),
    ).then((keys) => ({ keys }));
    return this.#jwks;
  }

  #inState(state: KeyState): RingKey[] {
    return [...this.#keys.values()].filter((key) => key.record.state === state);
  }

  #expired(records: readonly KeyRecord[], now: number): string[] {
    return records
      .filter((record) => record.state === 'retired' && (record.verifyUntil ?? Infinity) <= now)
      .map((record) => record.kid);
  }

  #generated(state: KeyState): Promise<KeyRecord> {
    return recordOfKey(generateKey(this.#alg, this.#rsaBits), state, this.#clock());
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Reads the store, plans a change from what it holds, and commits it only if the store still holds
   * that; when another writer got there first, reads and plans again. Loads the result either way.
   */
  #change<T>(plan: (records: readonly KeyRecord[]) => Promise<PlannedChange<T>>): Promise<T> {
    return this.#serially(async () => {
      for (let attempt = 1; ; attempt++) {
        const records = await this.#store.list();
        const planned = await plan(records);
        const put = planned.put ?? [];
        const deleted = new Set(planned.delete ?? []);
        if (put.length === 0 && deleted.size === 0) {
          await this.#load(records);
          return planned.result;
        }
        const expected = records.map(({ kid, state }) => ({ kid, state }));
        if (await this.#store.commit({ expected, put, delete: [...deleted] })) {
          const replaced = new Set(put.map((record) => record.kid));
          const kept = records.filter((record) => !deleted.has(record.kid) && !replaced.has(record.kid));
          await this.#load([...kept, ...put].sort((a, b) => a.createdAt - b.createdAt));
          return planned.result;
        }
        if (attempt >= MAX_CHANGE_ATTEMPTS) {
          throw new RevocableError(
            'ERR_LOG_UNAVAILABLE',
            'The signing keys kept changing under this process: try again.',
          );
        }
      }
    });
  }

  /** Starts a background reload unless one was asked for less than `unknownKidReloadMs` ago. */
  #askReload(): Promise<boolean> | undefined {
    const now = performance.now();
    if (this.#closed || now - this.#askedAt < this.#unknownKidReloadMs) return undefined;
    this.#askedAt = now;
    const asked = this.#reloadQuietly().finally(() => {
      if (this.#asked === asked) this.#asked = undefined;
    });
    this.#asked = asked;
    return asked;
  }

  #reloadQuietly(): Promise<boolean> {
    return this.reload().then(
      () => true,
      (error: unknown) => {
        this.#onReloadError?.(error);
        return false;
      },
    );
  }
}
