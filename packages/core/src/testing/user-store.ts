import { afterEach, describe, expect, it } from 'vitest';
import type { ClientStore, UserRecord, UserStore } from '../internal.js';

/** A fresh, empty store on its own storage, and how to release it. */
export interface UserStoreUnderTest {
  readonly users: UserStore;
  readonly clients: ClientStore;
  readonly cleanup?: () => Promise<void>;
}

const T0 = Date.UTC(2026, 0, 1);

function user(name: string, over: Partial<UserRecord> = {}): UserRecord {
  return {
    id: `id-${name}`,
    username: name,
    usernameKey: name.toLowerCase(),
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    createdAt: T0,
    passwordChangedAt: T0,
    disabledAt: null,
    ...over,
  };
}

/**
 * Registers the `UserStore` and `ClientStore` contracts as a vitest suite against one backend.
 *
 * @example
 * ```ts
 * import { describeUserStoreContract } from '@revocable/core/testing';
 * const store = new MemoryUserStore();
 * describeUserStoreContract('memory', async () => ({ users: store, clients: store }));
 * ```
 */
export function describeUserStoreContract(name: string, open: () => Promise<UserStoreUnderTest>): void {
  describe(`UserStore and ClientStore contract: ${name}`, () => {
    let current: UserStoreUnderTest | undefined;
    const fresh = async () => {
      current = await open();
      return current;
    };
    afterEach(async () => {
      await current?.cleanup?.();
      current = undefined;
    });

    it('creates a user and finds it by id and by username key, equal to what was stored', async () => {
      const { users } = await fresh();
      const alice = user('Alice');
      expect(await users.createUser(alice)).toBe('created');
      expect(await users.getUser(alice.id)).toEqual(alice);
      expect(await users.findByUsername('alice')).toEqual(alice);
      expect(await users.findByUsername('bob')).toBeUndefined();
      expect(await users.getUser('nope')).toBeUndefined();
    });

    it('exactly one of concurrent creations of the same username wins, and a taken id is refused', async () => {
      const { users } = await fresh();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => users.createUser(user('Race', { id: `race-${i}` }))),
      );
      expect(results.filter((r) => r === 'created')).toHaveLength(1);
      expect(await users.createUser(user('Other', { id: (await users.findByUsername('race'))!.id }))).toBe(
        'exists',
      );
      expect(await users.findByUsername('other')).toBeUndefined();
    });

    it('changes passwords and suspension, answering false for unknown users', async () => {
      const { users } = await fresh();
      const bob = user('bob');
      await users.createUser(bob);
      expect(await users.setPassword(bob.id, 'new-hash', T0 + 5)).toBe(true);
      expect(await users.getUser(bob.id)).toMatchObject({
        passwordHash: 'new-hash',
        passwordChangedAt: T0 + 5,
      });
      expect(await users.setDisabled(bob.id, T0 + 6)).toBe(true);
      expect((await users.getUser(bob.id))?.disabledAt).toBe(T0 + 6);
      expect(await users.setDisabled(bob.id, null)).toBe(true);
      expect((await users.getUser(bob.id))?.disabledAt).toBeNull();
      expect(await users.setPassword('nope', 'x', T0)).toBe(false);
      expect(await users.setDisabled('nope', T0)).toBe(false);
    });

    it('lists users by username key, page after page', async () => {
      const { users } = await fresh();
      for (const name of ['carol', 'alice', 'erin', 'bob', 'dave']) await users.createUser(user(name));
      const first = await users.listUsers({ limit: 2 });
      expect(first.map((u) => u.usernameKey)).toEqual(['alice', 'bob']);
      const second = await users.listUsers({ limit: 2, after: 'bob' });
      expect(second.map((u) => u.usernameKey)).toEqual(['carol', 'dave']);
      expect((await users.listUsers({ after: 'erin' })).length).toBe(0);
    });

    it('puts, replaces, lists and deletes clients', async () => {
      const { clients } = await fresh();
      expect(await clients.getClient('api')).toBeUndefined();
      await clients.putClient({ id: 'api', secretHash: 'h1', createdAt: T0 });
      await clients.putClient({ id: 'api', secretHash: 'h2', createdAt: T0 + 1 });
      await clients.putClient({ id: 'worker', secretHash: 'h3', createdAt: T0 + 2 });
      expect(await clients.getClient('api')).toEqual({ id: 'api', secretHash: 'h2', createdAt: T0 + 1 });
      expect((await clients.listClients()).map((c) => c.id).sort()).toEqual(['api', 'worker']);
      expect(await clients.deleteClient('api')).toBe(true);
      expect(await clients.deleteClient('api')).toBe(false);
      expect(await clients.getClient('api')).toBeUndefined();
    });
  });
}
