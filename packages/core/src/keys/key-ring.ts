import {
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { RevocableError } from '../errors.js';
import { type Algorithm, MIN_RSA_BITS } from './algorithms.js';
import {
  assertKeyStrength,
  type JWK,
  keyObjectFromJwk,
  privateJwk,
  publicJwk,
  thumbprintKid,
} from './jwk.js';
import { type KeyRecord, type KeyState, type KeyStore, MemoryKeyStore } from './key-store.js';
import { signatureLengthOf } from './signing.js';
import type { KeyResolver, VerificationKey } from './verification-key.js';

/** Options of {@link KeyRing.open}. */
export interface KeyRingOptions {
  /** Durable storage; defaults to a {@link MemoryKeyStore}. */
  readonly store?: KeyStore;
  /** Algorithm of generated keys. Default `EdDSA` (Ed25519). */
  readonly alg?: Algorithm;
  /**
   * Longest access-token lifetime signed by this ring, in seconds: how long a retired key verifies.
   * An {@link AccessTokenIssuer} on this ring refuses a longer `lifetimeSec`. Default 600.
   */
  readonly maxTokenLifetimeSec?: number;
  /** Extra seconds a retired key keeps verifying, to cover clock skew. Default 60. */
  readonly graceSec?: number;
  /** RSA modulus size for generated RS256 keys. Default 2048. */
  readonly rsaBits?: number;
  /** Clock in epoch milliseconds; for tests. */
  readonly clock?: () => number;
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

function generate(alg: Algorithm, rsaBits: number): KeyObject {
  switch (alg) {
    case 'EdDSA':
      return generateKeyPairSync('ed25519').privateKey;
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: rsaBits }).privateKey;
    case 'HS256':
      return createSecretKey(randomBytes(32));
  }
}

/**
 * The issuer's signing keys, with rotation: there is always one `active` key that signs and one `next`
 * key already published in the JWKS, so relying parties have fetched it before it signs anything.
 * Retired keys keep verifying until the last token they signed has expired.
 *
 * Implements {@link KeyResolver}, so a {@link Verifier} in the same process can use it directly.
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
  readonly #maxTokenLifetimeSec: number;
  readonly #retireForMs: number;
  readonly #rsaBits: number;
  readonly #clock: () => number;
  #keys = new Map<string, RingKey>();
  #jwks: Promise<{ keys: JWK[] }> | undefined;

  private constructor(options: KeyRingOptions) {
    this.#store = options.store ?? new MemoryKeyStore();
    this.#alg = options.alg ?? 'EdDSA';
    this.#maxTokenLifetimeSec = options.maxTokenLifetimeSec ?? 600;
    this.#retireForMs = (this.#maxTokenLifetimeSec + (options.graceSec ?? 60)) * 1000;
    this.#rsaBits = options.rsaBits ?? 2048;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Loads the ring from its store, generating an active and a next key when the store has none.
   *
   * @example
   * ```ts
   * const ring = await KeyRing.open({ store, alg: 'ES256' });
   * ```
   */
  static async open(options: KeyRingOptions = {}): Promise<KeyRing> {
    if (
      options.rsaBits !== undefined &&
      !(Number.isInteger(options.rsaBits) && options.rsaBits >= MIN_RSA_BITS)
    ) {
      throw new RevocableError('ERR_KEY_INVALID', `rsaBits must be at least ${MIN_RSA_BITS}.`);
    }
    const { maxTokenLifetimeSec, graceSec } = options;
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
      throw new RevocableError(
        'ERR_CONFIG_INVALID',
        'graceSec must be zero or a positive number of seconds.',
      );
    }
    const ring = new KeyRing(options);
    await ring.reload();
    if (ring.#inState('active').length === 0) await ring.#add(generate(ring.#alg, ring.#rsaBits), 'active');
    if (ring.#inState('next').length === 0) await ring.#add(generate(ring.#alg, ring.#rsaBits), 'next');
    return ring;
  }

  /**
   * The longest access-token lifetime this ring was opened for, in seconds: a retired key keeps
   * verifying this long (plus `graceSec`) after it stops signing. An issuer's lifetime must not exceed it.
   *
   * @example
   * ```ts
   * const ring = await KeyRing.open({ maxTokenLifetimeSec: 900 });
   * new AccessTokenIssuer({ keys: ring, issuer, audience, lifetimeSec: ring.maxTokenLifetimeSec });
   * ```
   */
  get maxTokenLifetimeSec(): number {
    return this.#maxTokenLifetimeSec;
  }

  /** Re-reads the store, for rings shared by several processes. Keys gone from the store die here too. */
  async reload(): Promise<void> {
    const records = await this.#store.list();
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
    return key !== undefined && this.#clock() < key.verifyUntil ? key : undefined;
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
   * can expire), and a new `next` key is generated and published. Retired keys past their time are removed.
   */
  async rotate(): Promise<void> {
    const now = this.#clock();
    for (const key of this.#inState('active')) {
      await this.#save(key, { ...key.record, state: 'retired', verifyUntil: now + this.#retireForMs });
    }
    const [promoted] = this.#inState('next');
    if (promoted) await this.#save(promoted, { ...promoted.record, state: 'active' });
    else await this.#add(generate(this.#alg, this.#rsaBits), 'active');
    await this.#add(generate(this.#alg, this.#rsaBits), 'next');
    await this.pruneRetired();
  }

  /** Removes a key at once (for a compromised key; pair it with a `key` revocation rule). */
  async remove(kid: string): Promise<boolean> {
    const key = this.#keys.get(kid);
    if (!key) return false;
    await this.#store.delete(kid);
    key.removed = true;
    this.#keys.delete(kid);
    this.#jwks = undefined;
    if (key.record.state === 'active') {
      const [promoted] = this.#inState('next');
      if (promoted) await this.#save(promoted, { ...promoted.record, state: 'active' });
      else await this.#add(generate(this.#alg, this.#rsaBits), 'active');
      if (this.#inState('next').length === 0) await this.#add(generate(this.#alg, this.#rsaBits), 'next');
    }
    return true;
  }

  /** Removes retired keys whose last token has expired. Returns how many were removed. */
  async pruneRetired(): Promise<number> {
    const now = this.#clock();
    let removed = 0;
    for (const key of this.#inState('retired')) {
      if (key.verifyUntil <= now && (await this.remove(key.kid))) removed++;
    }
    return removed;
  }

  /**
   * Imports an existing key (private JWK, or `oct` for HS256) in the given state.
   * Throws `ERR_KEY_INVALID` for unsupported or weak keys (RSA < 2048 bits, HMAC < 256 bits).
   */
  async importJwk(jwk: JWK, state: KeyState = 'next'): Promise<string> {
    const { key } = await keyObjectFromJwk(jwk);
    if (key.type === 'public')
      throw new RevocableError('ERR_KEY_INVALID', 'A signing key needs its private part.');
    return (await this.#add(key, state)).kid;
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

  async #add(key: KeyObject, state: KeyState): Promise<RingKey> {
    const alg = key.type === 'secret' ? 'HS256' : algorithmOfKey(key);
    assertKeyStrength(alg, key);
    const kid = await thumbprintKid(key);
    const record: KeyRecord = {
      kid,
      alg,
      state,
      createdAt: this.#clock(),
      privateJwk: await privateJwk(key),
    };
    const ringKey = new RingKey(record, alg === 'HS256' ? key : createPublicKey(key), key);
    await this.#save(ringKey, record);
    this.#keys.set(kid, ringKey);
    return ringKey;
  }

  async #save(key: RingKey, record: KeyRecord): Promise<void> {
    await this.#store.put(record);
    key.record = record;
    key.verifyUntil = record.verifyUntil ?? Number.POSITIVE_INFINITY;
    this.#jwks = undefined;
  }
}

function algorithmOfKey(key: KeyObject): Algorithm {
  switch (key.asymmetricKeyType) {
    case 'ed25519':
      return 'EdDSA';
    case 'ec':
      if (key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
      break;
    case 'rsa':
      return 'RS256';
  }
  throw new RevocableError('ERR_KEY_INVALID', 'Unsupported key type.');
}
