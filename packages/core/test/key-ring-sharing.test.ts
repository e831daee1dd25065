import {
  AccessTokenIssuer,
  type KeyRecord,
  KeyRing,
  type KeyStore,
  MemoryKeyStore,
  Verifier,
} from '@revocable/core';
import { afterEach, describe, expect, it, vi } from 'vitest';

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'api';

/** A memory store that counts reads, so a test can see when a ring re-read it. */
class CountingStore extends MemoryKeyStore {
  lists = 0;
  override async list(): Promise<KeyRecord[]> {
    this.lists++;
    return super.list();
  }
}

describe('key rings sharing one store', () => {
  const rings: KeyRing[] = [];
  afterEach(async () => {
    for (const ring of rings.splice(0)) await ring.close();
  });

  async function open(store: KeyStore, options: Partial<Parameters<typeof KeyRing.open>[0]> = {}) {
    const ring = await KeyRing.open({ store, ...options });
    rings.push(ring);
    return ring;
  }

  it('control: a ring opened on keys another ring wrote signs with the same key', async () => {
    const store = new MemoryKeyStore();
    const [a, b] = [await open(store), await open(store)];
    expect(b.signingKey().kid).toBe(a.signingKey().kid);
  });

  it('rings opening together on an empty store write one set of keys and all sign with it', async () => {
    const store = new MemoryKeyStore();
    const opened = await Promise.all(Array.from({ length: 8 }, () => open(store, { reloadIntervalMs: 0 })));
    const stored = await store.list();
    expect(stored.filter((record) => record.state === 'active')).toHaveLength(1);
    expect(stored.filter((record) => record.state === 'next')).toHaveLength(1);
    expect(new Set(opened.map((ring) => ring.signingKey().kid))).toEqual(
      new Set([stored.find((record) => record.state === 'active')!.kid]),
    );
  });

  it('two rotations at once apply one after the other: one active key, the first rotation’s key retired', async () => {
    const store = new MemoryKeyStore();
    const [a, b] = [await open(store, { reloadIntervalMs: 0 }), await open(store, { reloadIntervalMs: 0 })];
    await Promise.all([a.rotate(), b.rotate()]);
    const stored = await store.list();
    expect(stored.map((record) => record.state).sort()).toEqual(['active', 'next', 'retired', 'retired']);
  });

  it('picks up a rotation made by another ring within its reload interval, without being asked', async () => {
    const store = new MemoryKeyStore();
    const running = await open(store, { reloadIntervalMs: 50 });
    const other = await open(store, { reloadIntervalMs: 0 });
    await other.rotate();
    expect(running.signingKey().kid).not.toBe(other.signingKey().kid);
    await vi.waitFor(() => expect(running.signingKey().kid).toBe(other.signingKey().kid), {
      timeout: 1_000,
      interval: 10,
    });
  });

  it('reloads in the background when a token names an unknown kid, at most once per unknownKidReloadMs', async () => {
    const store = new CountingStore();
    const running = await open(store, { reloadIntervalMs: 0, unknownKidReloadMs: 60_000 });
    const other = await open(store, { reloadIntervalMs: 0 });
    await other.rotate();
    await other.rotate(); // the active key is now one `running` never saw
    const token = new AccessTokenIssuer({ keys: other, issuer: ISSUER, audience: AUDIENCE }).issue({
      sub: 'u1',
    }).token;
    const verifier = new Verifier({ keys: running, issuer: ISSUER, audience: AUDIENCE, revocation: 'none' });
    const readsBefore = store.lists;
    // The synchronous path never waits: it fails now and has started the reload.
    expect(() => verifier.verifySync(token)).toThrow(expect.objectContaining({ code: 'ERR_KEY_UNKNOWN' }));
    await vi.waitFor(() => expect(verifier.verifySync(token).claims.sub).toBe('u1'));
    expect(store.lists).toBe(readsBefore + 1);
    // Made-up kids within the cool-down read nothing more.
    for (let i = 0; i < 50; i++) expect(running.get(`made-up-${i}`)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(store.lists).toBe(readsBefore + 1);
  });

  it('lets the asynchronous verify wait for that reload and accept the token at the first call', async () => {
    const store = new MemoryKeyStore();
    const running = await open(store, { reloadIntervalMs: 0 });
    const other = await open(store, { reloadIntervalMs: 0 });
    await other.rotate();
    await other.rotate();
    const { token } = new AccessTokenIssuer({ keys: other, issuer: ISSUER, audience: AUDIENCE }).issue({
      sub: 'u2',
    });
    const verifier = new Verifier({ keys: running, issuer: ISSUER, audience: AUDIENCE, revocation: 'none' });
    expect((await verifier.verify(token)).claims.sub).toBe('u2');
  });

  it('keeps its keys when a background reload fails, and reports the failure', async () => {
    const store = new MemoryKeyStore();
    const errors: unknown[] = [];
    const running = await open(store, { reloadIntervalMs: 20, onReloadError: (error) => errors.push(error) });
    const kid = running.signingKey().kid;
    store.list = () => Promise.reject(new Error('database down'));
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0));
    expect(running.signingKey().kid).toBe(kid);
    expect(running.get(kid)).toBeDefined();
  });
});
