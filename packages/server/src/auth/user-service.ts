import { randomBytes } from 'node:crypto';
import type { UserRecord, UserStore } from '@revocable/core/internal';
import { ServiceError } from '../errors.js';
import { KeyedLock } from './keyed-lock.js';
import { assertPasswordAcceptable, MAX_PASSWORD_LENGTH, type PasswordHasher } from './passwords.js';
import { RateWindow } from './rate-window.js';
import type { ClientContext, SessionService, TokenSet } from './session-service.js';
import type { LoginThrottle } from './throttle.js';

/** Usernames: 3 to 64 characters after NFKC normalization, no control characters or spaces at the ends. */
export function usernameKey(username: unknown): string {
  if (typeof username !== 'string') throw new ServiceError('ERR_BAD_REQUEST', 'username must be a string.');
  const normalized = username.normalize('NFKC').trim();
  if (normalized.length < 3 || normalized.length > 64 || /[\u0000-\u001f\u007f]/.test(normalized)) {
    throw new ServiceError('ERR_BAD_REQUEST', 'username must have 3 to 64 printable characters.');
  }
  return normalized.toLowerCase();
}

/**
 * A new account's name, stored as typed (NFKC, trimmed) and looked up by its {@link usernameKey}. On top
 * of the key's rules it may hold no invisible format character (U+200B, U+202E, …: Unicode `Cf`), no
 * separator (`Z*`, the space included), no control, surrogate, private-use or unassigned code point
 * (`C*`): two names that look the same must be the same account. Logins keep the lenient rule, so
 * accounts made before this one still log in.
 */
function newUsername(username: unknown): { display: string; key: string } {
  const key = usernameKey(username);
  const display = (username as string).normalize('NFKC').trim();
  if (/[\p{C}\p{Z}]/u.test(display)) {
    throw new ServiceError(
      'ERR_BAD_REQUEST',
      'username must not contain spaces, separators, control or invisible format characters.',
    );
  }
  return { display, key };
}

function passwordField(password: unknown): string {
  if (typeof password !== 'string' || password.length === 0 || password.length > MAX_PASSWORD_LENGTH) {
    throw new ServiceError(
      'ERR_BAD_REQUEST',
      `password must be a string of 1 to ${MAX_PASSWORD_LENGTH} characters.`,
    );
  }
  return password;
}

/** Hooks for metrics. */
export interface UserEvents {
  onLoginFailure?(reason: 'credentials' | 'throttled' | 'disabled'): void;
}

/**
 * Built-in users: registration, login with throttling and no user enumeration, password change.
 *
 * @example
 * ```ts
 * await users.register('alice', 'correct horse battery staple');
 * const tokens = await users.login('alice', 'correct horse battery staple', { device, ip }, 'web');
 * ```
 */
export class UserService {
  readonly #attempts = new KeyedLock();

  constructor(
    private readonly store: UserStore,
    private readonly sessions: SessionService,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly events: UserEvents = {},
    private readonly clock: () => number = Date.now,
    private readonly registrations: RateWindow = new RateWindow({ limit: 20, windowMs: 3_600_000 }),
  ) {}

  /**
   * Creates a user. Answers `ERR_USERNAME_TAKEN` (409) when the name is in use, and
   * `ERR_RATE_LIMITED` (429) past 20 registrations per IP per hour (each costs an argon2id hash).
   */
  async register(
    username: unknown,
    password: unknown,
    ip: string | null = null,
  ): Promise<{ id: string; username: string }> {
    const { display, key } = newUsername(username);
    const secret = passwordField(password);
    assertPasswordAcceptable(secret);
    const wait = this.registrations.take(ip ?? 'unknown', this.clock());
    if (wait > 0) {
      throw new ServiceError(
        'ERR_RATE_LIMITED',
        'Too many registrations from this address; try again later.',
        {
          retryAfterSec: Math.ceil(wait / 1000),
        },
      );
    }
    const now = this.clock();
    const user: UserRecord = {
      id: randomBytes(16).toString('base64url'),
      username: display,
      usernameKey: key,
      passwordHash: await this.hasher.hash(secret),
      createdAt: now,
      passwordChangedAt: now,
      disabledAt: null,
    };
    if ((await this.store.createUser(user)) === 'exists') {
      throw new ServiceError('ERR_USERNAME_TAKEN', 'That username is taken.');
    }
    return { id: user.id, username: user.username };
  }

  /**
   * Checks credentials and opens a session. Unknown user and wrong password give the same error after
   * comparable work; throttled attempts answer 429 with `Retry-After` before any password work.
   */
  async login(
    username: unknown,
    password: unknown,
    context: ClientContext,
    clientId: string,
  ): Promise<TokenSet> {
    const key = usernameKey(username);
    const secret = passwordField(password);
    const ip = context.ip ?? 'unknown';
    // One attempt at a time per (account, IP): concurrent guesses queue and meet the throttle one by
    // one, instead of all passing its check before the first failure is counted.
    const user = await this.#attempts.run(`${key}\u0000${ip}`, async () => {
      this.#startAttempt(key, ip, this.clock());
      const found = await this.#unlessUnchecked(key, ip, () => this.store.findByUsername(key));
      const ok = await this.#unlessUnchecked(key, ip, () =>
        found ? this.hasher.verify(found.passwordHash, secret) : this.hasher.verifyUnknown(secret),
      );
      if (!found || !ok) {
        this.events.onLoginFailure?.('credentials');
        throw new ServiceError('ERR_LOGIN_FAILED', 'Wrong username or password.');
      }
      if (found.disabledAt !== null) {
        // Right password, suspended account: counted as a failed attempt, and the place is not learnt.
        this.events.onLoginFailure?.('disabled');
        throw new ServiceError('ERR_ACCOUNT_DISABLED', 'This account is suspended.');
      }
      this.throttle.succeeded(key, ip, this.clock());
      return found;
    });
    return this.sessions.open({ sub: user.id, clientId, ...context });
  }

  /**
   * Changes a password after checking the current one, then revokes every other session of the user
   * (a `subject` cutoff) and gives the current session a fresh access token.
   */
  async changePassword(
    sub: string,
    sessionId: string,
    current: unknown,
    next: unknown,
    context: Pick<ClientContext, 'ip'> = { ip: null },
  ) {
    const user = await this.store.getUser(sub);
    const oldSecret = passwordField(current);
    const newSecret = passwordField(next);
    assertPasswordAcceptable(newSecret);
    if (!user) throw new ServiceError('ERR_LOGIN_FAILED', 'The current password is wrong.');
    // The current password is checked under the login throttle: a stolen access token must not give
    // an attacker unlimited guesses at it.
    const ip = context.ip ?? 'unknown';
    const alreadySet = await this.#attempts.run(`${user.usernameKey}\u0000${ip}`, async () => {
      this.#startAttempt(user.usernameKey, ip, this.clock());
      let retried = false;
      if (!(await this.hasher.verify(user.passwordHash, oldSecret))) {
        // A retry of a change whose password step completed (its answer was lost, or ending the
        // sessions failed): the new password is already the stored one, and the rest is redone.
        retried = await this.hasher.verify(user.passwordHash, newSecret);
        if (!retried) {
          this.events.onLoginFailure?.('credentials');
          throw new ServiceError('ERR_LOGIN_FAILED', 'The current password is wrong.');
        }
      }
      this.throttle.succeeded(user.usernameKey, ip, this.clock());
      return retried;
    });
    if (!alreadySet) await this.store.setPassword(sub, await this.hasher.hash(newSecret), this.clock());
    // Ending the other sessions is retry-safe (stored sessions first, then the subject cutoff).
    return this.sessions.endAllOf(sub, { actor: `user:${sub}`, reason: 'password_change' }, sessionId);
  }

  /**
   * Runs a step of a counted attempt; if it fails (storage down, hasher error), the attempt is taken
   * back before the error goes on: no guess was checked, so none may count against the user.
   */
  async #unlessUnchecked<T>(account: string, ip: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (err) {
      this.throttle.abandoned(account, ip, this.clock());
      throw err;
    }
  }

  /** Counts an attempt before any password work, or refuses it with 429 while the throttle says wait. */
  #startAttempt(account: string, ip: string, now: number): void {
    const wait = this.throttle.attempt(account, ip, now);
    if (wait > 0) {
      this.events.onLoginFailure?.('throttled');
      throw new ServiceError('ERR_LOGIN_THROTTLED', 'Too many failed logins; try again later.', {
        retryAfterSec: Math.ceil(wait / 1000),
      });
    }
  }

  /** Suspends or reinstates a user; suspension also revokes all of the user's tokens. */
  async setSuspended(sub: string, suspended: boolean, actor: string): Promise<boolean> {
    const found = await this.store.setDisabled(sub, suspended ? this.clock() : null);
    if (found && suspended) await this.sessions.endAllOf(sub, { actor, reason: 'suspension' });
    return found;
  }
}
