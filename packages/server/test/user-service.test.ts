import { AccessTokenIssuer, KeyRing, MemoryRevocationLog, Revoker } from '@revocable/core';
import { MemorySessionStore, MemoryUserStore } from '@revocable/core/internal';
import { ServiceError } from '@revocable/server';
import {
  LoginThrottle,
  PasswordHasher,
  RateWindow,
  SessionService,
  UserService,
} from '@revocable/server/internal';
import { describe, expect, it } from 'vitest';

/** A real argon2id hasher that counts the password checks it performs. */
class CountingHasher extends PasswordHasher {
  checks = 0;
  override async verify(hash: string, password: string) {
    this.checks++;
    return super.verify(hash, password);
  }
}

async function setup() {
  const ring = await KeyRing.open();
  const issuer = new AccessTokenIssuer({ keys: ring, issuer: 'https://auth.example', audience: 'api' });
  const sessions = new SessionService({
    store: new MemorySessionStore(),
    issuer,
    revoker: new Revoker(new MemoryRevocationLog()),
    iss: 'https://auth.example',
    policy: { idleMs: 3_600_000, absoluteMs: 86_400_000, refreshGraceMs: 10_000 },
  });
  const hasher = new CountingHasher();
  const users = new UserService(
    new MemoryUserStore(),
    sessions,
    hasher,
    new LoginThrottle({ pairFailures: 2 }),
  );
  return { users, hasher };
}

const ctx = { device: 'test', ip: '192.0.2.10' };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'ok',
    (err: unknown) => (err instanceof ServiceError ? err.code : String(err)),
  );
}

describe('built-in users', () => {
  it('does a full argon2id check for an unknown user too, and answers the same error', async () => {
    const { users, hasher } = await setup();
    await users.register('alice', 'correct horse battery');
    hasher.checks = 0;
    expect(await codeOf(users.login('alice', 'wrong password!', ctx, 'web'))).toBe('ERR_LOGIN_FAILED');
    expect(hasher.checks).toBe(1);
    expect(await codeOf(users.login('mallory', 'wrong password!', ctx, 'web'))).toBe('ERR_LOGIN_FAILED');
    expect(hasher.checks).toBe(2);
  });

  it('throttles before doing password work, with a retry time', async () => {
    const { users, hasher } = await setup();
    await users.register('bob', 'correct horse battery');
    for (let i = 0; i < 3; i++) await codeOf(users.login('bob', 'nope nope nope', ctx, 'web'));
    hasher.checks = 0;
    const err = await users.login('bob', 'correct horse battery', ctx, 'web').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).code).toBe('ERR_LOGIN_THROTTLED');
    expect((err as ServiceError).retryAfterSec).toBeGreaterThan(0);
    expect(hasher.checks).toBe(0);
    expect(
      await codeOf(users.login('bob', 'correct horse battery', { ...ctx, ip: '192.0.2.99' }, 'web')),
    ).toBe('ok');
  });

  it('counts concurrent guesses before the password work: 30 at once get 2 checks, the rest 429', async () => {
    const { users, hasher } = await setup();
    await users.register('burst', 'correct horse battery');
    hasher.checks = 0;
    const codes = await Promise.all(
      Array.from({ length: 30 }, () => codeOf(users.login('burst', 'nope nope nope', ctx, 'web'))),
    );
    expect(codes.filter((c) => c === 'ERR_LOGIN_FAILED')).toHaveLength(2);
    expect(codes.filter((c) => c === 'ERR_LOGIN_THROTTLED')).toHaveLength(28);
    expect(hasher.checks).toBe(2);
  });

  it('throttles guesses at the current password on password change, like logins', async () => {
    const { users, hasher } = await setup();
    const { id } = await users.register('pat', 'correct horse battery');
    const session = await users.login('pat', 'correct horse battery', ctx, 'web');
    const change = (current: string) =>
      codeOf(users.changePassword(id, session.sessionId, current, 'a brand new password', ctx));
    hasher.checks = 0;
    expect(await change('guess number one')).toBe('ERR_LOGIN_FAILED');
    expect(await change('guess number two')).toBe('ERR_LOGIN_FAILED');
    expect(await change('guess number three')).toBe('ERR_LOGIN_THROTTLED');
    expect(await change('correct horse battery')).toBe('ERR_LOGIN_THROTTLED');
    // Each refused guess checks the current password and the new one (a retried change whose password
    // step completed finds the new one stored); throttled attempts do no password work at all.
    expect(hasher.checks).toBe(4);
  });

  it('completes a password change retried after its password step succeeded, without the old password', async () => {
    const { users } = await setup();
    const { id } = await users.register('retry-pat', 'correct horse battery');
    const kept = await users.login('retry-pat', 'correct horse battery', ctx, 'web');
    await users.login('retry-pat', 'correct horse battery', ctx, 'web');
    await users.changePassword(id, kept.sessionId, 'correct horse battery', 'a brand new password', ctx);
    // The client never saw the answer and sends the same request again: the old password is no longer
    // the stored one, the new one is, and the change completes (idempotently) instead of failing.
    const again = await users.changePassword(
      id,
      kept.sessionId,
      'correct horse battery',
      'a brand new password',
      ctx,
    );
    expect(again.kept).toBeDefined();
    expect(await codeOf(users.login('retry-pat', 'a brand new password', ctx, 'web'))).toBe('ok');
    expect(await codeOf(users.login('retry-pat', 'correct horse battery', ctx, 'web'))).toBe(
      'ERR_LOGIN_FAILED',
    );
  });

  it('normalizes usernames (NFKC, case) so look-alike registrations collide', async () => {
    const { users } = await setup();
    await users.register('Ｃarol', 'correct horse battery');
    expect(await codeOf(users.register('carol', 'another password 1'))).toBe('ERR_USERNAME_TAKEN');
    expect(await codeOf(users.login('CAROL', 'correct horse battery', ctx, 'web'))).toBe('ok');
  });

  it('refuses usernames with invisible format characters, separators or control characters', async () => {
    const { users } = await setup();
    const refused = [
      'bob\u200b', // zero-width space (Cf)
      '\u202eevil', // right-to-left override (Cf)
      'b\ufeffob', // zero-width no-break space (Cf; trimmed only at the ends)
      'so\u00adft', // soft hyphen (Cf)
      'two words', // space separator (Zs)
      'no\u00a0break', // NFKC makes it a space (Zs)
      'line\u2028sep', // line separator (Zl)
      'nel\u0085x', // C1 control
      'tab\tx', // C0 control
    ];
    for (const name of refused) {
      expect(await codeOf(users.register(name, 'correct horse battery')), JSON.stringify(name)).toBe(
        'ERR_BAD_REQUEST',
      );
    }
    // Control cases: letters of any script, digits and punctuation are fine.
    for (const name of ['josé', '山田太郎', 'o.brien-2']) {
      expect(await codeOf(users.register(name, 'correct horse battery')), name).toBe('ok');
    }
  });

  it('logs nobody in under a look-alike with an invisible character', async () => {
    const { users } = await setup();
    await users.register('frank', 'correct horse battery');
    expect(await codeOf(users.login('frank\u200b', 'correct horse battery', ctx, 'web'))).toBe(
      'ERR_LOGIN_FAILED',
    );
    expect(await codeOf(users.login('FRANK', 'correct horse battery', ctx, 'web'))).toBe('ok');
  });

  it('limits registrations per IP, with a retry time, without touching other IPs', async () => {
    const store = new MemoryUserStore();
    const { users: base } = await setup();
    const users = new UserService(
      store,
      (base as unknown as { sessions: SessionService }).sessions,
      new PasswordHasher(),
      new LoginThrottle(),
      {},
      Date.now,
      new RateWindow({ limit: 2, windowMs: 60_000 }),
    );
    expect(await codeOf(users.register('reg-1', 'correct horse battery', '198.51.100.1'))).toBe('ok');
    expect(await codeOf(users.register('reg-2', 'correct horse battery', '198.51.100.1'))).toBe('ok');
    const err = await users
      .register('reg-3', 'correct horse battery', '198.51.100.1')
      .catch((e: unknown) => e);
    expect((err as ServiceError).code).toBe('ERR_RATE_LIMITED');
    expect((err as ServiceError).status).toBe(429);
    expect((err as ServiceError).retryAfterSec).toBeGreaterThan(0);
    expect(await store.findByUsername('reg-3')).toBeUndefined();
    expect(await codeOf(users.register('reg-4', 'correct horse battery', '198.51.100.2'))).toBe('ok');
  });

  it('refuses weak passwords and malformed usernames', async () => {
    const { users } = await setup();
    expect(await codeOf(users.register('dave', 'short'))).toBe('ERR_PASSWORD_WEAK');
    expect(await codeOf(users.register('dave', 'aaaaaaaaaaaa'))).toBe('ERR_PASSWORD_WEAK');
    expect(await codeOf(users.register('x', 'correct horse battery'))).toBe('ERR_BAD_REQUEST');
    expect(await codeOf(users.register('bad\u0000name', 'correct horse battery'))).toBe('ERR_BAD_REQUEST');
  });

  it('a suspended user cannot log in, and suspension is only revealed to the right password', async () => {
    const { users } = await setup();
    const { id } = await users.register('erin', 'correct horse battery');
    await users.setSuspended(id, true, 'admin');
    expect(await codeOf(users.login('erin', 'wrong password!', ctx, 'web'))).toBe('ERR_LOGIN_FAILED');
    expect(await codeOf(users.login('erin', 'correct horse battery', ctx, 'web'))).toBe(
      'ERR_ACCOUNT_DISABLED',
    );
  });

  it('does not count a storage failure as a failed guess: the right password works once storage is back', async () => {
    const store = new UnavailableUserStore();
    const { users: base } = await setup();
    const users = new UserService(
      store,
      (base as unknown as { sessions: SessionService }).sessions,
      new PasswordHasher(),
      new LoginThrottle({ pairFailures: 2, accountFailures: 3, ipFailures: 3 }),
    );
    await users.register('olga', 'correct horse battery');
    store.down = true;
    for (let i = 0; i < 10; i++) {
      expect(await codeOf(users.login('olga', 'correct horse battery', ctx, 'web'))).toBe(
        'Error: database unavailable',
      );
    }
    store.down = false;
    expect(await codeOf(users.login('olga', 'correct horse battery', ctx, 'web'))).toBe('ok');
    // Control: real failures still count (two per pair, then a wait).
    expect(await codeOf(users.login('olga', 'wrong password!', ctx, 'web'))).toBe('ERR_LOGIN_FAILED');
    expect(await codeOf(users.login('olga', 'wrong password!', ctx, 'web'))).toBe('ERR_LOGIN_FAILED');
    expect(await codeOf(users.login('olga', 'wrong password!', ctx, 'web'))).toBe('ERR_LOGIN_THROTTLED');
  });
});

/** A user store whose look-ups fail while `down`, as a database outage makes them. */
class UnavailableUserStore extends MemoryUserStore {
  down = false;
  override async findByUsername(usernameKey: string) {
    if (this.down) throw new Error('database unavailable');
    return super.findByUsername(usernameKey);
  }
}
