import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AccessTokenIssuer,
  KeyRing,
  LogFeedSource,
  MemoryRevocationLog,
  Replica,
  ReplicaFollower,
  Revoker,
  Verifier,
} from '@revocable/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ISS = 'https://auth.example';
const AUD = 'api';

/** What every app under test is started with. */
export interface AppOptions {
  readonly verifier: Verifier;
  readonly revoker: Revoker;
  /** Scopes `GET /me` requires; none when absent. */
  readonly scopes?: readonly string[];
}

/** An app started by an adapter. */
export interface RunningApp {
  /** Sends one request; `authorization` becomes the `Authorization` header when given. */
  request(method: 'GET' | 'POST', path: string, authorization?: string): Promise<Response>;
  close(): Promise<void>;
}

/** How to drive one framework through the shared suite. */
export interface FrameworkAdapter {
  readonly name: string;
  /**
   * Starts an app with the framework's Revocable middleware on three routes:
   * - `GET /me` (requiring `options.scopes`) answers 200 with the verified claims as JSON;
   * - `POST /logout` calls `revoke(revoker, auth)` and answers 204;
   * - `POST /logout-all` calls `revoke(revoker, auth, { scope: 'subject' })` and answers 204.
   */
  start(options: AppOptions): Promise<RunningApp>;
  /** Creates the framework's middleware (guard, plugin) from `options`, as an app would at start-up. */
  create(options: unknown): unknown;
}

/** A {@link RunningApp} for a `node:http` server the framework started; resolves once it listens. */
export async function overHttp(server: Server): Promise<RunningApp> {
  if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return overUrl(`http://127.0.0.1:${port}`, () => new Promise((resolve) => server.close(() => resolve())));
}

/** A {@link RunningApp} for an app listening at `base`. */
export function overUrl(base: string, close: () => Promise<void>): RunningApp {
  return {
    request: (method, path, authorization) =>
      fetch(`${base}${path}`, { method, headers: authorization ? { authorization } : {} }),
    close,
  };
}

/** A {@link RunningApp} for an in-process fetch handler. */
export function inProcess(handle: (request: Request) => Response | Promise<Response>): RunningApp {
  return {
    request: async (method, path, authorization) =>
      handle(
        new Request(`http://app.test${path}`, { method, headers: authorization ? { authorization } : {} }),
      ),
    close: async () => {},
  };
}

interface Rig {
  readonly ring: KeyRing;
  readonly issuer: AccessTokenIssuer;
  readonly replica: Replica;
  readonly follower: ReplicaFollower;
  readonly revoker: Revoker;
  readonly verifier: Verifier;
}

async function rig(): Promise<Rig> {
  const ring = await KeyRing.open({ alg: 'EdDSA' });
  const log = new MemoryRevocationLog();
  const replica = new Replica({ maxStalenessMs: 60_000 });
  const follower = new ReplicaFollower(replica, new LogFeedSource(log));
  await follower.start();
  return {
    ring,
    issuer: new AccessTokenIssuer({ keys: ring, issuer: ISS, audience: AUD }),
    replica,
    follower,
    revoker: new Revoker(log),
    verifier: new Verifier({ keys: ring, issuer: ISS, audience: AUD, revocation: replica }),
  };
}

let counter = 0;
/** A fresh user and session per call, so one test's logout never touches another's tokens. */
function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

const bearer = (token: string): string => `Bearer ${token}`;

async function expectRefusal(
  response: Response,
  status: number,
  code: string,
  challenge: RegExp | string | undefined,
): Promise<void> {
  const body = (await response.json()) as { error: string; message: string };
  expect({ status: response.status, error: body.error }).toEqual({ status, error: code });
  expect(typeof body.message).toBe('string');
  expect(response.headers.get('cache-control')).toBe('no-store');
  const header = response.headers.get('www-authenticate');
  if (challenge === undefined) expect(header).toBeNull();
  else if (typeof challenge === 'string') expect(header).toBe(challenge);
  else expect(header).toMatch(challenge);
}

const invalidToken = (code: string): RegExp =>
  new RegExp(`^Bearer realm="api", error="invalid_token", error_description="${code}[:"]`);

/**
 * The behaviour every Revocable middleware shares, whatever the framework: one suite, run by each
 * framework's test file with its adapter.
 */
export function describeMiddleware(adapter: FrameworkAdapter): void {
  describe(`${adapter.name} middleware`, () => {
    let r: Rig;
    let app: RunningApp;
    let scoped: RunningApp;
    let stale: RunningApp;

    beforeAll(async () => {
      r = await rig();
      app = await adapter.start({ verifier: r.verifier, revoker: r.revoker });
      scoped = await adapter.start({ verifier: r.verifier, revoker: r.revoker, scopes: ['admin'] });
      // A replica that never heard from its feed: fail-closed, so every verify is ERR_REVOCATION_STALE.
      const never = new Replica({ maxStalenessMs: 1_000, purgeIntervalMs: 0 });
      const verifier = new Verifier({ keys: r.ring, issuer: ISS, audience: AUD, revocation: never });
      stale = await adapter.start({ verifier, revoker: r.revoker });
    });

    afterAll(async () => {
      await Promise.all([app?.close(), scoped?.close(), stale?.close()]);
      r?.follower.stop();
      r?.replica.close();
    });

    const issue = (extra: { sub?: string; sid?: string | null; scope?: string } = {}): string =>
      r.issuer.issue({
        sub: extra.sub ?? unique('user'),
        ...(extra.sid === null ? {} : { sid: extra.sid ?? unique('session') }),
        scope: extra.scope ?? 'read',
      }).token;

    it('admits a valid token and hands the verified claims to the route', async () => {
      const sub = unique('user');
      const token = issue({ sub, sid: 'session-a', scope: 'read write' });
      const response = await app.request('GET', '/me', bearer(token));
      expect(response.status).toBe(200);
      const claims = (await response.json()) as Record<string, unknown>;
      expect(claims).toMatchObject({ iss: ISS, aud: AUD, sub, sid: 'session-a', scope: 'read write' });
      expect(typeof claims['jti']).toBe('string');
    });

    it('answers a request without credentials 401 with a bare Bearer challenge', async () => {
      await expectRefusal(await app.request('GET', '/me'), 401, 'ERR_TOKEN_MISSING', 'Bearer realm="api"');
    });

    it('answers a malformed credential 401 invalid_token ERR_TOKEN_MALFORMED', async () => {
      for (const header of ['Bearer not-a-jwt', 'Basic dXNlcjpwYXNz', 'Bearer a.b', 'Bearer']) {
        await expectRefusal(
          await app.request('GET', '/me', header),
          401,
          'ERR_TOKEN_MALFORMED',
          invalidToken('ERR_TOKEN_MALFORMED'),
        );
      }
    });

    it('answers an expired token 401 invalid_token ERR_TOKEN_EXPIRED', async () => {
      const past = new AccessTokenIssuer({
        keys: r.ring,
        issuer: ISS,
        audience: AUD,
        clock: () => Date.now() - 3_600_000,
      });
      const { token } = past.issue({ sub: unique('user') });
      await expectRefusal(
        await app.request('GET', '/me', bearer(token)),
        401,
        'ERR_TOKEN_EXPIRED',
        invalidToken('ERR_TOKEN_EXPIRED'),
      );
    });

    it('answers a token with a bad signature 401 invalid_token ERR_SIGNATURE_INVALID', async () => {
      const [header, payload] = issue().split('.');
      const signature = issue().split('.')[2];
      await expectRefusal(
        await app.request('GET', '/me', bearer(`${header}.${payload}.${signature}`)),
        401,
        'ERR_SIGNATURE_INVALID',
        invalidToken('ERR_SIGNATURE_INVALID'),
      );
    });

    it('answers a revoked token 401 invalid_token ERR_TOKEN_REVOKED', async () => {
      const token = issue();
      expect((await app.request('GET', '/me', bearer(token))).status).toBe(200);
      await r.revoker.revokeToken(r.verifier.verifySync(token).facts, {
        reason: 'admin',
        actor: 'admin:test',
      });
      await expectRefusal(
        await app.request('GET', '/me', bearer(token)),
        401,
        'ERR_TOKEN_REVOKED',
        invalidToken('ERR_TOKEN_REVOKED'),
      );
    });

    it('answers a token without a required scope 403 insufficient_scope', async () => {
      await expectRefusal(
        await scoped.request('GET', '/me', bearer(issue({ scope: 'read' }))),
        403,
        'ERR_INSUFFICIENT_SCOPE',
        'Bearer realm="api", error="insufficient_scope", error_description="ERR_INSUFFICIENT_SCOPE", scope="admin"',
      );
      expect((await scoped.request('GET', '/me', bearer(issue({ scope: 'read admin' })))).status).toBe(200);
    });

    it('answers 503 ERR_REVOCATION_STALE, without a challenge, when the replica is stale (fail-closed)', async () => {
      await expectRefusal(
        await stale.request('GET', '/me', bearer(issue())),
        503,
        'ERR_REVOCATION_STALE',
        undefined,
      );
    });

    it("rejects the token at once after the app's logout revoked its session", async () => {
      const sub = unique('user');
      const sid = unique('session');
      const earlier = issue({ sub, sid });
      const token = issue({ sub, sid });
      const otherSession = issue({ sub });
      expect((await app.request('GET', '/me', bearer(token))).status).toBe(200);

      expect((await app.request('POST', '/logout', bearer(token))).status).toBe(204);

      for (const revoked of [token, earlier]) {
        await expectRefusal(
          await app.request('GET', '/me', bearer(revoked)),
          401,
          'ERR_TOKEN_REVOKED',
          invalidToken('ERR_TOKEN_REVOKED'),
        );
      }
      expect((await app.request('GET', '/me', bearer(otherSession))).status).toBe(200);
    });

    it('revokes only the token in hand on logout when it has no session', async () => {
      const sub = unique('user');
      const token = issue({ sub, sid: null });
      const sibling = issue({ sub, sid: null });
      expect((await app.request('POST', '/logout', bearer(token))).status).toBe(204);
      await expectRefusal(
        await app.request('GET', '/me', bearer(token)),
        401,
        'ERR_TOKEN_REVOKED',
        invalidToken('ERR_TOKEN_REVOKED'),
      );
      expect((await app.request('GET', '/me', bearer(sibling))).status).toBe(200);
    });

    it("logs the user out everywhere through the app's logout-all", async () => {
      const sub = unique('user');
      const phone = issue({ sub });
      const laptop = issue({ sub });
      const someoneElse = issue();
      expect((await app.request('POST', '/logout-all', bearer(phone))).status).toBe(204);
      for (const token of [phone, laptop]) {
        await expectRefusal(
          await app.request('GET', '/me', bearer(token)),
          401,
          'ERR_TOKEN_REVOKED',
          invalidToken('ERR_TOKEN_REVOKED'),
        );
      }
      expect((await app.request('GET', '/me', bearer(someoneElse))).status).toBe(200);
    });

    it('refuses logout without a valid token, and revokes nothing', async () => {
      await expectRefusal(
        await app.request('POST', '/logout'),
        401,
        'ERR_TOKEN_MISSING',
        'Bearer realm="api"',
      );
    });

    it('checks its options when created, not per request', async () => {
      const created = (options: unknown) => Promise.resolve().then(() => adapter.create(options));
      const config = { code: 'ERR_CONFIG_INVALID' };
      await expect(created(undefined)).rejects.toMatchObject(config);
      await expect(created({})).rejects.toMatchObject(config);
      await expect(created({ verifier: {} })).rejects.toMatchObject(config);
      await expect(created({ verifier: r.verifier, scopes: 'admin' })).rejects.toMatchObject(config);
      await expect(created({ verifier: r.verifier, scopes: ['two words'] })).rejects.toMatchObject(config);
      await expect(created({ verifier: r.verifier, realm: 'a"b' })).rejects.toMatchObject(config);
      await expect(created({ verifier: r.verifier, scopes: ['orders:read'] })).resolves.toBeDefined();
    });

    it('never puts the token in a response body or header', async () => {
      const token = issue();
      const signature = token.split('.')[2]!;
      const revoked = issue();
      await r.revoker.revokeToken(r.verifier.verifySync(revoked).facts, {
        reason: 'admin',
        actor: 'admin:test',
      });
      const [header, payload] = token.split('.');
      const attempts: [RunningApp, string][] = [
        [app, bearer(token)],
        [app, bearer(`${token}x`)],
        [app, `${bearer(token)} trailing`],
        [app, bearer(`${header}.${payload}.${issue().split('.')[2]}`)],
        [app, bearer(`${header}.${payload}`)],
        [app, bearer(revoked)],
        [scoped, bearer(token)],
        [stale, bearer(token)],
      ];
      for (const [target, authorization] of attempts) {
        const response = await target.request('GET', '/me', authorization);
        const text = await response.text();
        const secrets = [token, signature, revoked, revoked.split('.')[2]!];
        for (const secret of secrets) {
          expect(text).not.toContain(secret);
          response.headers.forEach((value) => {
            expect(value).not.toContain(secret);
          });
        }
      }
    });
  });
}
