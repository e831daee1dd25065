import { timingSafeEqual } from 'node:crypto';
import { MemoryUserStore } from '@revocable/core/internal';
import { ServiceError } from '@revocable/server';
import { ClientRegistry, hashClientSecret } from '@revocable/server/internal';
import { describe, expect, it } from 'vitest';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function codeOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'ok',
    (err: unknown) => (err instanceof ServiceError ? err.code : String(err)),
  );
}

function setup() {
  const store = new MemoryUserStore();
  const comparisons: Array<{ expected: Buffer; given: Buffer }> = [];
  const registry = new ClientRegistry([{ id: 'api', secret: 'api-secret-0123456789' }], store, {
    publicClients: ['revocable-web', 'ios-app'],
    compare: (expected, given) => {
      comparisons.push({ expected, given });
      return timingSafeEqual(expected, given);
    },
  });
  return { store, registry, comparisons };
}

describe('client registry', () => {
  it('authenticates configured and stored clients (control case)', async () => {
    const { store, registry } = setup();
    await store.putClient({
      id: 'billing',
      secretHash: hashClientSecret('billing-secret-0123'),
      createdAt: 1,
    });
    expect(await registry.authenticate(basic('api', 'api-secret-0123456789'), undefined)).toBe('api');
    expect(await registry.authenticate(basic('billing', 'billing-secret-0123'), undefined)).toBe('billing');
  });

  it('makes the same secret comparison for an unknown client id as for a wrong secret', async () => {
    const { store, registry, comparisons } = setup();
    await store.putClient({
      id: 'billing',
      secretHash: hashClientSecret('billing-secret-0123'),
      createdAt: 1,
    });
    for (const header of [
      basic('api', 'wrong-secret-000000'),
      basic('billing', 'wrong-secret-000000'),
      basic('nobody', 'wrong-secret-000000'),
    ]) {
      expect(await codeOf(registry.authenticate(header, undefined)), header).toBe('ERR_CLIENT_AUTH_FAILED');
    }
    // One comparison each, of two 32-byte digests: an unknown id is compared against a dummy digest.
    expect(comparisons).toHaveLength(3);
    for (const { expected, given } of comparisons) {
      expect(expected).toHaveLength(32);
      expect(given).toHaveLength(32);
    }
  });

  it('answers which ids are public: the listed ones, never a confidential client', async () => {
    const { store, registry } = setup();
    expect(await codeOf(registry.assertPublic('revocable-web'))).toBe('ok');
    expect(await codeOf(registry.assertPublic('ios-app'))).toBe('ok');
    for (const id of ['api', 'trusted-backend', 'system', 'unknown']) {
      expect(await codeOf(registry.assertPublic(id)), id).toBe('ERR_CLIENT_INVALID');
    }
    // A client stored with `revocable client add` under a public id must authenticate after all.
    await store.putClient({
      id: 'ios-app',
      secretHash: hashClientSecret('ios-secret-01234567'),
      createdAt: 1,
    });
    expect(await codeOf(registry.assertPublic('ios-app'))).toBe('ERR_CLIENT_INVALID');
  });
});
