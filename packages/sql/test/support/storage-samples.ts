import type { KeyRecord } from '@revocable/core';
import type { RefreshTokenRecord, SessionRecord, UserRecord } from '@revocable/core/internal';
import type { SqlStorage } from '@revocable/sql';
import { expect } from 'vitest';

const NOW = Date.now();
const HOUR = 3_600_000;

/** One of each record the service keeps, to write through one storage and read back through another. */
export const SAMPLES = {
  user: {
    id: 'u-1',
    username: 'Alice',
    usernameKey: 'alice',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    createdAt: NOW,
    passwordChangedAt: NOW,
    disabledAt: null,
  } satisfies UserRecord,
  session: {
    id: 's-1',
    sub: 'u-1',
    clientId: 'web',
    createdAt: NOW,
    lastSeenAt: NOW,
    idleExpiresAt: NOW + HOUR,
    absoluteExpiresAt: NOW + 24 * HOUR,
    scope: null,
    claims: { tenant: 'acme' },
    refreshGeneration: 1,
    device: null,
    ip: null,
    endedAt: null,
    endReason: null,
  } satisfies SessionRecord,
  token: {
    hash: 'h-1',
    sessionId: 's-1',
    generation: 1,
    createdAt: NOW,
    expiresAt: NOW + HOUR,
    consumedAt: null,
    superseded: false,
  } satisfies RefreshTokenRecord,
  key: {
    kid: 'k-1',
    alg: 'EdDSA',
    state: 'retired',
    createdAt: NOW,
    verifyUntil: NOW + HOUR,
    privateJwk: { kty: 'OKP', crv: 'Ed25519', x: 'x-k1', d: 'd-k1' },
  } satisfies KeyRecord,
  client: { id: 'api', secretHash: 'secret-hash', createdAt: NOW },
};

/**
 * Writes every sample through `storage`, and a revocation to its log.
 *
 * @example
 * ```ts
 * await writeSamples(storage);
 * ```
 */
export async function writeSamples(storage: SqlStorage): Promise<void> {
  expect(await storage.users.createUser(SAMPLES.user)).toBe('created');
  await storage.sessions.createSession(SAMPLES.session, SAMPLES.token);
  await storage.keys.put(SAMPLES.key);
  await storage.clients.putClient(SAMPLES.client);
  await storage.log.append([
    { rule: { kind: 'subject', iss: 'i', sub: 'u-1', cutoff: NOW }, reason: 'admin', actor: 'system' },
  ]);
}

/**
 * Checks that `storage` holds every sample {@link writeSamples} wrote, equal to what was written.
 *
 * @example
 * ```ts
 * await expectSamples(reopened);
 * ```
 */
export async function expectSamples(storage: SqlStorage): Promise<void> {
  expect(await storage.users.findByUsername('alice')).toEqual(SAMPLES.user);
  expect(await storage.sessions.getSession('s-1')).toEqual(SAMPLES.session);
  expect(await storage.sessions.findRefreshToken('h-1')).toEqual(SAMPLES.token);
  expect(await storage.keys.list()).toEqual([SAMPLES.key]);
  expect(await storage.clients.getClient('api')).toEqual(SAMPLES.client);
  expect((await storage.log.readAfter(0)).map((event) => event.rule)).toEqual([
    { kind: 'subject', iss: 'i', sub: 'u-1', cutoff: NOW },
  ]);
}
