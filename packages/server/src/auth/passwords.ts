import argon2 from 'argon2';
import { ServiceError } from '../errors.js';

/** argon2id parameters (OWASP's recommended minimum is m=19 MiB, t=2, p=1; these are above it). */
const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/** Longest password accepted, in characters: argon2 cost does not depend on it, but request size does. */
export const MAX_PASSWORD_LENGTH = 1024;
export const MIN_PASSWORD_LENGTH = 8;

/**
 * Checks a new password's shape: 8 to 1024 characters, not all the same character.
 * Throws `ERR_PASSWORD_WEAK`.
 */
export function assertPasswordAcceptable(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new ServiceError(
      'ERR_PASSWORD_WEAK',
      `Passwords must have ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`,
    );
  }
  if (new Set(password).size < 3)
    throw new ServiceError('ERR_PASSWORD_WEAK', 'The password is too repetitive.');
}

/**
 * Hashes and checks passwords with argon2id. `verifyUnknown` spends the same work as a real check so
 * that an unknown username and a wrong password take comparable time (no user enumeration).
 *
 * @example
 * ```ts
 * const hasher = new PasswordHasher();
 * const hash = await hasher.hash('correct horse battery staple');
 * await hasher.verify(hash, 'correct horse battery staple'); // true
 * ```
 */
export class PasswordHasher {
  #dummy: Promise<string> | undefined;

  hash(password: string): Promise<string> {
    return argon2.hash(password, OPTIONS);
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false;
    }
  }

  /** Does the work of a failed check against a hash nobody has. Always resolves `false`. */
  async verifyUnknown(password: string): Promise<false> {
    this.#dummy ??= argon2.hash('revocable-no-such-user', OPTIONS);
    await this.verify(await this.#dummy, password);
    return false;
  }
}
