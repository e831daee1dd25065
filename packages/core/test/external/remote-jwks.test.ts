import { RemoteJwks, type RemoteJwksOptions, type RevocableError, Verifier } from '@revocable/core';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sendJson, startServer, type TestServer } from './support/json-server.js';
import { type IssuerKey, issuerKey, jwks, sign, weakRsaJwk } from './support/keys.js';

const ISS = 'https://idp.example';
const AUD = 'api';
const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);

let now = T0;
const clock = () => now;
const servers: TestServer[] = [];
afterEach(async () => {
  now = T0;
  for (const server of servers.splice(0)) await server.close();
});

let keyA: IssuerKey;
let keyB: IssuerKey;
let keyRsa: IssuerKey;
beforeAll(async () => {
  [keyA, keyB, keyRsa] = await Promise.all([
    issuerKey('a', 'ES256'),
    issuerKey('b', 'EdDSA'),
    issuerKey('r', 'RS256'),
  ]);
});

/** A server publishing `body` at /jwks (swap `published` to roll keys). */
async function jwksServer(body: unknown): Promise<TestServer & { published: unknown }> {
  const server = Object.assign(await startServer(), { published: body });
  server.handle = (_req, res) => sendJson(res, server.published);
  servers.push(server);
  return server;
}

function remote(server: TestServer, options: Partial<RemoteJwksOptions> = {}): RemoteJwks {
  return new RemoteJwks({ url: `${server.origin}/jwks`, allowInsecureLocalhost: true, clock, ...options });
}

function verifierOf(keys: RemoteJwks): Verifier {
  return new Verifier({ keys, issuer: ISS, audience: AUD, clock, clockToleranceSec: 0, revocation: 'none' });
}

function token(key: IssuerKey, kid = key.kid): Promise<string> {
  const iat = Math.floor(now / 1000);
  return sign(
    { ...key, kid },
    { iss: ISS, sub: 'alice', aud: AUD, iat, exp: iat + 600, jti: `jti-${kid}-${iat}` },
  );
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const err = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as RevocableError | undefined;
  return err?.code ?? 'resolved';
}

describe('caching', () => {
  it('fetches the set once and answers every later lookup from memory', async () => {
    const server = await jwksServer(jwks(keyA, keyB));
    const keys = remote(server);
    await keys.load();
    const verifier = verifierOf(keys);
    for (let i = 0; i < 20; i++) {
      expect((await verifier.verify(await token(i % 2 ? keyA : keyB))).claims.sub).toBe('alice');
    }
    expect(server.hitsOf('/jwks')).toBe(1);
    expect(keys.kids.sort()).toEqual(['a', 'b']);
  });

  it('loads lazily: the first token with an unknown kid fetches the set', async () => {
    const server = await jwksServer(jwks(keyA));
    const keys = remote(server);
    expect(keys.get('a')).toBeUndefined();
    expect((await verifierOf(keys).verify(await token(keyA))).claims.sub).toBe('alice');
    expect(server.hitsOf('/jwks')).toBe(1);
  });

  it('concurrent refreshes share one fetch', async () => {
    const server = await jwksServer(jwks(keyA));
    server.handle = (_req, res) => setTimeout(() => sendJson(res, server.published), 50);
    const keys = remote(server);
    const verifier = verifierOf(keys);
    const jwt = await token(keyA);
    const results = await Promise.all(Array.from({ length: 50 }, () => verifier.verify(jwt)));
    expect(results.every((r) => r.claims.sub === 'alice')).toBe(true);
    expect(server.hitsOf('/jwks')).toBe(1);
  });

  it('refetches in the background once the keys are older than maxAgeMs, serving the old keys meanwhile', async () => {
    const server = await jwksServer(jwks(keyA));
    const keys = remote(server, { maxAgeMs: 60_000 });
    await keys.load();
    server.published = jwks(keyA, keyB);
    now += 59_999;
    expect(keys.get('a')).toBeDefined();
    expect(server.hitsOf('/jwks')).toBe(1);
    now += 1;
    expect(keys.get('a')).toBeDefined(); // answers at once, fetch started behind it
    await vi.waitFor(() => expect(keys.kids).toContain('b'));
    expect(server.hitsOf('/jwks')).toBe(2);
  });
});

describe('cool-down', () => {
  it('a flood of unknown kids costs one fetch per cool-down, never one per request', async () => {
    const server = await jwksServer(jwks(keyA));
    const keys = remote(server, { cooldownMs: 30_000 });
    const verifier = verifierOf(keys);
    await keys.load();
    now += 30_000;
    const forged = await Promise.all(Array.from({ length: 200 }, (_, i) => token(keyA, `made-up-${i}`)));
    const codes = await Promise.all(forged.map((jwt) => codeOf(verifier.verify(jwt))));
    expect(new Set(codes)).toEqual(new Set(['ERR_KEY_UNKNOWN']));
    expect(server.hitsOf('/jwks')).toBe(2);
    for (const jwt of forged.slice(0, 20)) expect(await codeOf(verifier.verify(jwt))).toBe('ERR_KEY_UNKNOWN');
    expect(server.hitsOf('/jwks')).toBe(2);
    now += 30_000;
    expect(await codeOf(verifier.verify(forged[0]!))).toBe('ERR_KEY_UNKNOWN');
    expect(server.hitsOf('/jwks')).toBe(3);
  });

  it('a key published after the last fetch is found by the first refresh after the cool-down', async () => {
    const server = await jwksServer(jwks(keyA));
    const keys = remote(server, { cooldownMs: 30_000 });
    const verifier = verifierOf(keys);
    await keys.load();
    server.published = jwks(keyA, keyB);
    const jwt = await token(keyB);
    expect(await codeOf(verifier.verify(jwt))).toBe('ERR_KEY_UNKNOWN');
    expect(server.hitsOf('/jwks')).toBe(1);
    now += 30_000;
    expect(await codeOf(verifier.verify(jwt))).toBe('resolved');
    expect(server.hitsOf('/jwks')).toBe(2);
  });
});

describe('failures', () => {
  it('a fetch that does not answer in time fails with ERR_JWKS_UNAVAILABLE', async () => {
    const server = await jwksServer(jwks(keyA));
    server.handle = () => {}; // never answers
    const keys = remote(server, { timeoutMs: 100 });
    const started = Date.now();
    expect(await codeOf(keys.load())).toBe('ERR_JWKS_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(keys.lastError?.message).toMatch(/did not answer in time/);
  });

  it('a failed fetch keeps the keys already held', async () => {
    const server = await jwksServer(jwks(keyA));
    const keys = remote(server);
    await keys.load();
    const verifier = verifierOf(keys);
    const jwt = await token(keyA);
    const failures: [string, (res: import('node:http').ServerResponse) => void][] = [
      ['HTTP 500', (res) => sendJson(res, { error: 'boom' }, 500)],
      ['not JSON', (res) => res.end('<html>')],
      ['not a JWK Set', (res) => sendJson(res, { hello: 'world' })],
      ['no usable key', (res) => sendJson(res, jwks(weakRsaJwk('weak')))],
      ['a redirect', (res) => res.writeHead(302, { location: '/elsewhere' }).end()],
    ];
    for (const [what, answer] of failures) {
      server.handle = (_req, res) => answer(res);
      expect(await codeOf(keys.load()), what).toBe('ERR_JWKS_UNAVAILABLE');
      expect(verifier.verifySync(jwt).claims.sub, what).toBe('alice');
    }
  });

  it('while the last fetch failed, unknown kids report ERR_JWKS_UNAVAILABLE without fetching again', async () => {
    const server = await jwksServer(jwks(keyA));
    const keys = remote(server);
    await keys.load();
    server.handle = (_req, res) => sendJson(res, {}, 503);
    now += 30_000;
    const verifier = verifierOf(keys);
    expect(await codeOf(verifier.verify(await token(keyA, 'new-kid')))).toBe('ERR_JWKS_UNAVAILABLE');
    expect(await codeOf(verifier.verify(await token(keyA, 'other-kid')))).toBe('ERR_JWKS_UNAVAILABLE');
    expect(server.hitsOf('/jwks')).toBe(2);
    expect(verifier.verifySync(await token(keyA)).claims.sub).toBe('alice');
  });

  it('a response larger than maxBytes is refused', async () => {
    const server = await jwksServer({ keys: [keyA.jwk], padding: 'x'.repeat(5000) });
    expect(await codeOf(remote(server, { maxBytes: 1000 }).load())).toBe('ERR_JWKS_UNAVAILABLE');
  });
});

describe('rollover', () => {
  it('a key gone from a later fetch stops verifying, also for tokens the verifier had cached', async () => {
    const server = await jwksServer(jwks(keyA));
    const keys = remote(server);
    await keys.load();
    const verifier = verifierOf(keys);
    const jwtA = await token(keyA);
    expect(verifier.verifySync(jwtA).claims.sub).toBe('alice');
    const held = keys.get('a')!;
    server.published = jwks(keyB);
    await keys.load();
    expect(held.removed).toBe(true);
    expect(keys.get('a')).toBeUndefined();
    expect(() => verifier.verifySync(jwtA)).toThrow(expect.objectContaining({ code: 'ERR_KEY_UNKNOWN' }));
    expect(verifier.verifySync(await token(keyB)).claims.sub).toBe('alice');
  });

  it('a key kept across fetches stays the same object, so cached verifications survive', async () => {
    const server = await jwksServer(jwks(keyA));
    const keys = remote(server);
    await keys.load();
    const held = keys.get('a')!;
    server.published = jwks(keyA, keyB);
    await keys.load();
    expect(keys.get('a')).toBe(held);
    expect(held.removed).toBe(false);
  });

  it('new material under a known kid replaces the old key and removes it', async () => {
    const server = await jwksServer(jwks(keyA));
    const keys = remote(server);
    await keys.load();
    const held = keys.get('a')!;
    const impostor = await issuerKey('a', 'ES256');
    server.published = jwks(impostor);
    await keys.load();
    expect(held.removed).toBe(true);
    expect(keys.get('a')).not.toBe(held);
  });
});

describe('unusable keys', () => {
  it('are skipped one by one while the usable keys of the set are kept', async () => {
    const { jwk: ec } = await issuerKey('x');
    const server = await jwksServer({
      keys: [
        keyA.jwk,
        { ...ec, kid: 'enc', use: 'enc' },
        { ...ec, kid: 'ops', key_ops: ['encrypt'] },
        { kty: 'oct', kid: 'oct', k: Buffer.alloc(32, 1).toString('base64url') },
        { ...ec, kid: 'private', d: Buffer.alloc(32, 2).toString('base64url') },
        { ...ec, kid: 'wrong-alg', alg: 'RS256' },
        { ...ec, kid: 'p384', crv: 'P-384' },
        { ...ec, kid: undefined },
        weakRsaJwk('weak'),
        { ...keyB.jwk, kid: 'a' },
        'not an object',
        keyB.jwk,
        keyRsa.jwk,
      ],
    });
    const keys = remote(server);
    await keys.load();
    expect(keys.kids.sort()).toEqual(['a', 'b', 'r']);
    expect(keys.skipped.map((s) => s.kid)).toEqual([
      'enc',
      'ops',
      'oct',
      'private',
      'wrong-alg',
      'p384',
      undefined,
      'weak',
      'a',
      undefined,
    ]);
    const verifier = verifierOf(keys);
    for (const key of [keyA, keyB, keyRsa])
      expect(verifier.verifySync(await token(key)).claims.sub).toBe('alice');
  });
});

describe('configuration', () => {
  it('refuses a JWKS URL that is not https, allowing http only on loopback and only when asked', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
        return 'ok';
      } catch (err) {
        return (err as RevocableError).code;
      }
    };
    expect(code(() => new RemoteJwks({ url: 'https://idp.example/jwks' }))).toBe('ok');
    expect(code(() => new RemoteJwks({ url: 'http://idp.example/jwks' }))).toBe('ERR_CONFIG_INVALID');
    expect(code(() => new RemoteJwks({ url: 'http://idp.example/jwks', allowInsecureLocalhost: true }))).toBe(
      'ERR_CONFIG_INVALID',
    );
    expect(code(() => new RemoteJwks({ url: 'http://127.0.0.1:1/jwks' }))).toBe('ERR_CONFIG_INVALID');
    for (const url of ['http://127.0.0.1:1/jwks', 'http://localhost/jwks', 'http://[::1]/jwks']) {
      expect(
        code(() => new RemoteJwks({ url, allowInsecureLocalhost: true })),
        url,
      ).toBe('ok');
    }
    expect(code(() => new RemoteJwks({ url: 'https://user:pw@idp.example/jwks' }))).toBe(
      'ERR_CONFIG_INVALID',
    );
    expect(code(() => new RemoteJwks({ url: 'not a url' }))).toBe('ERR_CONFIG_INVALID');
    expect(code(() => new RemoteJwks({ url: 'https://idp.example/jwks', cooldownMs: -1 }))).toBe(
      'ERR_CONFIG_INVALID',
    );
  });
});
