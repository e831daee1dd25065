import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { RevocableError } from '../errors.js';
import type { JWK } from './jwk.js';

/** The environment variables {@link KeyEncryption.fromEnvironment} reads by default. */
export const KEY_ENCRYPTION_ENV = {
  current: 'REVOCABLE_KEY_ENCRYPTION_KEY',
  previous: 'REVOCABLE_KEY_ENCRYPTION_KEY_PREVIOUS',
} as const;

/** How a private key is stored when encrypted: JSON, told apart from a JWK by having no `kty`. */
interface Envelope {
  readonly v: 1;
  readonly alg: 'A256GCM';
  /** {@link KeyEncryption.keyId} of the key-encryption key that sealed it. */
  readonly kek: string;
  readonly iv: string;
  readonly tag: string;
  readonly ct: string;
}

/** A private JWK read back from storage, and whether it is stored the way the current settings write it. */
export interface OpenedPrivateJwk {
  readonly jwk: JWK;
  /** `false` for plaintext while a key-encryption key is set, or a key sealed with a previous one. */
  readonly upToDate: boolean;
}

interface Kek {
  readonly id: string;
  readonly key: Buffer;
}

const HEX_32 = /^[0-9a-fA-F]{64}$/;
const BASE64_32 = /^[A-Za-z0-9+/_-]{43}=?$/;

function decodeKek(value: string, name: string): Kek {
  const text = value.trim();
  const key = HEX_32.test(text)
    ? Buffer.from(text, 'hex')
    : BASE64_32.test(text)
      ? Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
      : undefined;
  if (key === undefined || key.length !== 32) {
    // The value is a secret: the message names the variable, never what it holds.
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      `${name} must be 32 random bytes in base64, base64url or hex (e.g. \`openssl rand -base64 32\`).`,
    );
  }
  return { id: kekId(key), key };
}

function kekId(key: Buffer): string {
  return createHash('sha256')
    .update('revocable key-encryption key id\0')
    .update(key)
    .digest('hex')
    .slice(0, 16);
}

/** Authenticated data: an envelope opens only under the `kid` it was sealed for. */
function aad(kid: string): Buffer {
  return Buffer.from(`revocable signing key v1\0${kid}`);
}

function decryptFailed(kid: string, why: string): RevocableError {
  return new RevocableError('ERR_KEY_DECRYPT', `The private part of signing key ${kid} ${why}`);
}

/**
 * Encryption of signing keys' private parts at rest: AES-256-GCM under a key-encryption key (KEK), the
 * key's `kid` bound as authenticated data, the result a self-describing JSON envelope
 * (`{"v":1,"alg":"A256GCM","kek":<KEK id>,"iv","tag","ct"}`). Previous KEKs still open what they sealed,
 * so a KEK is rotated by giving the new one with the old as previous until every key is re-sealed.
 * Without a current KEK (previous ones only) keys are written back in plaintext: that turns encryption off.
 *
 * @example
 * ```ts
 * const encryption = KeyEncryption.fromEnvironment(process.env); // undefined when neither variable is set
 * const stored = encryption?.seal('kid-1', jwk);
 * ```
 */
export class KeyEncryption {
  readonly #current: Kek | undefined;
  readonly #byId: ReadonlyMap<string, Kek>;

  /**
   * Takes each KEK as 32 bytes in base64, base64url or hex. Throws `ERR_CONFIG_INVALID` naming the
   * setting (never its value) for anything else.
   *
   * @example
   * ```ts
   * const encryption = new KeyEncryption({ current: newKek, previous: [oldKek] });
   * ```
   */
  constructor(options: {
    readonly current?: string | undefined;
    readonly previous?: readonly string[];
    /** Names of the two settings, for messages. Default: the environment variables. */
    readonly names?: { readonly current: string; readonly previous: string };
  }) {
    const names = options.names ?? KEY_ENCRYPTION_ENV;
    this.#current = options.current === undefined ? undefined : decodeKek(options.current, names.current);
    const all = (options.previous ?? []).map((value, i) =>
      decodeKek(value, `${names.previous} (entry ${i + 1})`),
    );
    if (this.#current) all.unshift(this.#current);
    this.#byId = new Map(all.map((kek) => [kek.id, kek]));
  }

  /**
   * Reads `REVOCABLE_KEY_ENCRYPTION_KEY` and `REVOCABLE_KEY_ENCRYPTION_KEY_PREVIOUS` (comma-separated);
   * `undefined` when both are unset or empty.
   *
   * @example
   * ```ts
   * const encryption = KeyEncryption.fromEnvironment(process.env);
   * ```
   */
  static fromEnvironment(env: Readonly<Record<string, string | undefined>>): KeyEncryption | undefined {
    const current = env[KEY_ENCRYPTION_ENV.current]?.trim() || undefined;
    const previous = (env[KEY_ENCRYPTION_ENV.previous] ?? '')
      .split(',')
      .map((value) => value.trim())
      .filter(Boolean);
    if (current === undefined && previous.length === 0) return undefined;
    return new KeyEncryption({ current, previous });
  }

  /**
   * A short hash naming the current KEK (stored in each envelope), or `undefined` when keys are written
   * in plaintext.
   *
   * @example
   * ```ts
   * console.log(`keys sealed with KEK ${encryption.keyId}`);
   * ```
   */
  get keyId(): string | undefined {
    return this.#current?.id;
  }

  /**
   * The text to store for a private JWK: an envelope under the current KEK, or the JWK's JSON when there
   * is none (previous KEKs only: encryption being turned off).
   *
   * @example
   * ```ts
   * row.private_jwk = encryption.seal(record.kid, record.privateJwk);
   * ```
   */
  seal(kid: string, jwk: JWK): string {
    const plaintext = Buffer.from(JSON.stringify(jwk));
    const kek = this.#current;
    if (kek === undefined) return plaintext.toString();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', kek.key, iv);
    cipher.setAAD(aad(kid));
    const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    const envelope: Envelope = {
      v: 1,
      alg: 'A256GCM',
      kek: kek.id,
      iv: iv.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
      ct: ct.toString('base64url'),
    };
    return JSON.stringify(envelope);
  }

  /**
   * Reads what {@link seal} stored (or a plaintext JWK written before encryption was turned on). Throws
   * `ERR_KEY_DECRYPT` for an envelope no known KEK opens, or one moved to another `kid`.
   *
   * @example
   * ```ts
   * const { jwk, upToDate } = encryption.open(row.kid, row.private_jwk);
   * ```
   */
  open(kid: string, text: string): OpenedPrivateJwk {
    const stored = parseStored(kid, text);
    if (!('envelope' in stored)) return { jwk: stored.jwk, upToDate: this.#current === undefined };
    const { envelope } = stored;
    const kek = this.#byId.get(envelope.kek);
    if (kek === undefined) {
      throw decryptFailed(
        kid,
        `is sealed with key-encryption key ${envelope.kek}, which is neither the current nor a previous one: set the key it was written with (as current or previous).`,
      );
    }
    let plaintext: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek.key, Buffer.from(envelope.iv, 'base64url'));
      decipher.setAAD(aad(kid));
      decipher.setAuthTag(Buffer.from(envelope.tag, 'base64url'));
      plaintext = Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64url')), decipher.final()]);
    } catch (cause) {
      throw new RevocableError(
        'ERR_KEY_DECRYPT',
        `The private part of signing key ${kid} does not decrypt: the stored row was altered or belongs to another key.`,
        undefined,
        { cause },
      );
    }
    return { jwk: JSON.parse(plaintext.toString()) as JWK, upToDate: kek === this.#current };
  }

  /**
   * Seals another secret kept in storage (a receiver's push credential, …) the same way: AES-256-GCM
   * under the current KEK, `purpose` bound as authenticated data (a sealed value moved to another
   * purpose does not open). Without a current KEK the text is returned as it is.
   *
   * @example
   * ```ts
   * row.authorization_header = encryption.sealSecret(`ssf stream ${streamId}`, header);
   * ```
   */
  sealSecret(purpose: string, text: string): string {
    const kek = this.#current;
    if (kek === undefined) return text;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', kek.key, iv);
    cipher.setAAD(secretAad(purpose));
    const ct = Buffer.concat([cipher.update(Buffer.from(text, 'utf8')), cipher.final()]);
    const envelope: Envelope = {
      v: 1,
      alg: 'A256GCM',
      kek: kek.id,
      iv: iv.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
      ct: ct.toString('base64url'),
    };
    return JSON.stringify(envelope);
  }

  /**
   * Reads what {@link sealSecret} stored; text that is not an envelope (written before encryption was
   * turned on) is returned as it is. Throws `ERR_KEY_DECRYPT` (never echoing the value) for an
   * envelope no known KEK opens, or one sealed for another purpose.
   *
   * @example
   * ```ts
   * const header = encryption.openSecret(`ssf stream ${streamId}`, row.authorization_header);
   * ```
   */
  openSecret(purpose: string, text: string): string {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return text;
    }
    if (!isEnvelope(parsed)) return text;
    const kek = this.#byId.get(parsed.kek);
    if (kek === undefined) {
      throw new RevocableError(
        'ERR_KEY_DECRYPT',
        `A stored secret (${purpose}) is sealed with key-encryption key ${parsed.kek}, which is neither the current nor a previous one.`,
      );
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', kek.key, Buffer.from(parsed.iv, 'base64url'));
      decipher.setAAD(secretAad(purpose));
      decipher.setAuthTag(Buffer.from(parsed.tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(parsed.ct, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch (cause) {
      throw new RevocableError(
        'ERR_KEY_DECRYPT',
        `A stored secret (${purpose}) does not decrypt: the row was altered or belongs elsewhere.`,
        undefined,
        { cause },
      );
    }
  }
}

function secretAad(purpose: string): Buffer {
  return Buffer.from(`revocable stored secret v1\0${purpose}`);
}

function isEnvelope(value: unknown): value is Envelope {
  const candidate = value as Partial<Envelope> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    candidate.v === 1 &&
    candidate.alg === 'A256GCM' &&
    ['kek', 'iv', 'tag', 'ct'].every((name) => typeof candidate[name as keyof Envelope] === 'string')
  );
}

function parseStored(kid: string, text: string): { jwk: JWK } | { envelope: Envelope } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new RevocableError(
      'ERR_KEY_DECRYPT',
      `The stored private part of signing key ${kid} is not JSON.`,
      undefined,
      { cause },
    );
  }
  if (isEnvelope(parsed)) return { envelope: parsed };
  if (typeof (parsed as JWK | null)?.kty !== 'string') {
    throw decryptFailed(kid, 'is stored in a form this version does not know.');
  }
  return { jwk: parsed as JWK };
}

/**
 * The stored text of a private JWK: sealed when `encryption` has a current KEK, the JWK's JSON otherwise.
 *
 * @example
 * ```ts
 * const text = sealPrivateJwk(record.kid, record.privateJwk, encryption);
 * ```
 */
export function sealPrivateJwk(kid: string, jwk: JWK, encryption: KeyEncryption | undefined): string {
  return encryption === undefined ? JSON.stringify(jwk) : encryption.seal(kid, jwk);
}

/**
 * Reads a private JWK stored by {@link sealPrivateJwk}. Throws `ERR_KEY_DECRYPT` when it is sealed and
 * no KEK given opens it: a wrong or missing KEK is a clear error at startup, never a silently new key.
 *
 * @example
 * ```ts
 * const { jwk, upToDate } = openPrivateJwk(row.kid, row.private_jwk, encryption);
 * ```
 */
export function openPrivateJwk(
  kid: string,
  text: string,
  encryption: KeyEncryption | undefined,
): OpenedPrivateJwk {
  if (encryption !== undefined) return encryption.open(kid, text);
  const stored = parseStored(kid, text);
  if ('jwk' in stored) return { jwk: stored.jwk, upToDate: true };
  throw decryptFailed(
    kid,
    `is encrypted at rest (key-encryption key ${stored.envelope.kek}): give the key-encryption key (${KEY_ENCRYPTION_ENV.current} for the service).`,
  );
}
