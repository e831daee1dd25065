// `revocable serve --status-list`: the access tokens name an entry of a Token Status List the service
// publishes, and every way of revoking them (logout, an admin subject rule, a key rule) shows there as
// bit 1, read by the core's StatusListCheck and by @sd-jwt/jwt-status-list with jose checking the
// signature (an implementation that shares no code with ours).

import { RemoteJwks, type RevocationPolicy, StatusListCheck, Verifier } from '@revocable/core';
import type { RunningService } from '@revocable/server';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ADMIN_TOKEN, BACKENDS, backendAvailable, Http, startService } from './support/service.js';

const MEDIA_TYPE = 'application/statuslist+jwt';
const WAIT = { timeout: 10_000, interval: 50 };

interface StatusClaim {
  readonly idx: number;
  readonly uri: string;
}

function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

function statusOf(token: string): StatusClaim {
  return claimsOf(token).status.status_list as StatusClaim;
}

/** The bit at `idx` as @sd-jwt/jwt-status-list reads it, after jose has checked the list's signature. */
async function theirStatus(base: string, reference: StatusClaim): Promise<number> {
  const response = await fetch(`${base}${new URL(reference.uri).pathname}`, {
    headers: { accept: MEDIA_TYPE },
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/statuslist\+jwt/);
  const token = await response.text();
  const { payload, protectedHeader } = await jwtVerify(
    token,
    createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`)),
    { typ: 'statuslist+jwt', subject: reference.uri },
  );
  expect(protectedHeader.typ).toBe('statuslist+jwt');
  expect(payload['ttl']).toEqual(expect.any(Number));
  return getListFromStatusListJWT(token).getStatus(reference.idx);
}

/** A verifier that judges the service's tokens by the published status list only (no replica). */
function listVerifier(service: RunningService): Verifier {
  const { config } = service.runtime;
  const keys = new RemoteJwks({ url: `${service.url}/.well-known/jwks.json`, allowInsecureLocalhost: true });
  const policy: RevocationPolicy = config.revocationPolicy;
  const revocation = new StatusListCheck({ keys, policy, allowInsecureLocalhost: true, minRefreshMs: 50 });
  return new Verifier({ keys, issuer: config.issuer, audience: config.audience, revocation });
}

async function refusal(verifier: Verifier, token: string): Promise<string | undefined> {
  try {
    await verifier.verify(token);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('without --status-list', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService('memory');
  });
  afterAll(async () => service?.close());

  it('issues tokens without a status claim and publishes no list', async () => {
    const http = new Http(service.url);
    const tokens = await http.registerAndLogin('no-list-user');
    expect(claimsOf(tokens.access_token)).not.toHaveProperty('status');
    const answer = await http.call('GET', '/status-lists/1', { headers: { accept: MEDIA_TYPE } });
    expect(answer.status).toBe(404);
  });
});

for (const backend of BACKENDS) {
  const available = await backendAvailable(backend);
  describe.skipIf(!available)(`--status-list on ${backend.name}`, () => {
    let service: RunningService;
    let http: Http;
    let verifier: Verifier;
    beforeAll(async () => {
      service = await startService(await backend.fresh(), [
        '--status-list',
        '--status-list-interval',
        '100',
        // A verifier keeps a list for its ttl: 1 s lets the list's own verifier see a change soon.
        '--status-list-ttl',
        '1',
      ]);
      http = new Http(service.url);
      verifier = listVerifier(service);
    });
    afterAll(async () => {
      await service?.close();
      await backend.cleanup();
    });

    it('gives each access token its own entry of the list at {issuer}/status-lists/1', async () => {
      const a = await http.registerAndLogin('entry-a');
      const b = await http.login('entry-a');
      const [ra, rb] = [statusOf(a.access_token), statusOf(b.access_token)];
      expect(ra.uri).toBe(`${service.runtime.config.issuer}/status-lists/1`);
      expect(rb.uri).toBe(ra.uri);
      expect(ra.idx).not.toBe(rb.idx);
      for (const idx of [ra.idx, rb.idx]) {
        expect(Number.isSafeInteger(idx) && idx >= 0 && idx < service.runtime.config.statusList.size).toBe(
          true,
        );
      }
    });

    it('serves the list as application/statuslist+jwt with caching within its ttl, and 406 for another type', async () => {
      const ok = await http.call('GET', '/status-lists/1', { headers: { accept: MEDIA_TYPE } });
      expect(ok.status).toBe(200);
      const maxAge = Number(/max-age=(\d+)/.exec(ok.headers.get('cache-control') ?? '')?.[1]);
      expect(maxAge).toBeGreaterThanOrEqual(0);
      expect(maxAge).toBeLessThanOrEqual(service.runtime.config.statusList.ttlSec);
      const claims = claimsOf(ok.body as string);
      expect(claims).toMatchObject({
        sub: `${service.runtime.config.issuer}/status-lists/1`,
        ttl: service.runtime.config.statusList.ttlSec,
        status_list: { bits: 1, lst: expect.any(String) },
      });
      expect(claims['exp']).toBeGreaterThan(claims['iat']);
      const head = await http.call('HEAD', '/status-lists/1', { headers: { accept: MEDIA_TYPE } });
      expect(head.status).toBe(200);
      expect(head.headers.get('content-type')).toMatch(/^application\/statuslist\+jwt/);
      const json = await http.call('GET', '/status-lists/1', { headers: { accept: 'application/json' } });
      expect(json.status).toBe(406);
      expect(json.body.error).toBe('ERR_NOT_ACCEPTABLE');
      const other = await http.call('GET', '/status-lists/2', { headers: { accept: MEDIA_TYPE } });
      expect(other.status).toBe(404);
    });

    it('reports the list on /metrics: live entries, revoked entries, the age of the list served', async () => {
      await http.registerAndLogin('metrics-user');
      const answer = await http.get('/metrics');
      expect(answer.status).toBe(200);
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(answer.body)?.[1]);
      expect(value('revocable_status_list_entries')).toBeGreaterThanOrEqual(1);
      expect(value('revocable_status_list_revoked')).toBeGreaterThanOrEqual(0);
      expect(value('revocable_status_list_age_seconds')).toBeLessThanOrEqual(10); // re-signed every ttl/2 = 0.5 s
      expect(value('revocable_status_list_round_failures_total')).toBe(0);
    });

    it('shows a token revoked by logout as 1, and a live token as 0, to both implementations', async () => {
      const kept = await http.registerAndLogin('logout-kept');
      const ended = await http.registerAndLogin('logout-ended');
      // Control: before any revocation both read 0, and the list's verifier accepts the token.
      expect(await refusal(verifier, ended.access_token)).toBeUndefined();
      expect(await theirStatus(service.url, statusOf(ended.access_token))).toBe(0);
      expect((await http.post('/auth/logout', undefined, ended.access_token)).status).toBe(204);
      await vi.waitFor(async () => {
        expect(await refusal(verifier, ended.access_token)).toBe('ERR_TOKEN_REVOKED');
      }, WAIT);
      expect(await theirStatus(service.url, statusOf(ended.access_token))).toBe(1);
      expect(await theirStatus(service.url, statusOf(kept.access_token))).toBe(0);
      expect(await refusal(verifier, kept.access_token)).toBeUndefined();
    });

    it('shows every token of a user revoked by an admin subject rule as 1', async () => {
      const first = await http.registerAndLogin('subject-user');
      const second = await http.login('subject-user');
      const other = await http.registerAndLogin('subject-other');
      const sub = claimsOf(first.access_token).sub as string;
      const answer = await http.call('POST', '/admin/revocations', {
        token: ADMIN_TOKEN,
        body: { rule: { kind: 'subject', iss: service.runtime.config.issuer, sub } },
      });
      expect(answer.status).toBe(201);
      await vi.waitFor(async () => {
        expect(await theirStatus(service.url, statusOf(first.access_token))).toBe(1);
        expect(await theirStatus(service.url, statusOf(second.access_token))).toBe(1);
      }, WAIT);
      expect(await theirStatus(service.url, statusOf(other.access_token))).toBe(0);
      // The list's verifier sees it once the list it holds is past its ttl.
      await vi.waitFor(async () => {
        expect(await refusal(verifier, second.access_token)).toBe('ERR_TOKEN_REVOKED');
      }, WAIT);
    });

    it('shows every token signed with a key revoked by a key rule as 1 (last: it revokes the signing key)', async () => {
      const a = await http.registerAndLogin('key-a');
      const b = await http.registerAndLogin('key-b');
      const kid = JSON.parse(Buffer.from(a.access_token.split('.')[0]!, 'base64url').toString()).kid;
      expect(await theirStatus(service.url, statusOf(a.access_token))).toBe(0);
      const answer = await http.call('POST', '/admin/revocations', {
        token: ADMIN_TOKEN,
        body: { rule: { kind: 'key', kid } },
      });
      expect(answer.status).toBe(201);
      await vi.waitFor(async () => {
        expect(await theirStatus(service.url, statusOf(a.access_token))).toBe(1);
        expect(await theirStatus(service.url, statusOf(b.access_token))).toBe(1);
      }, WAIT);
      await vi.waitFor(async () => {
        expect(await refusal(verifier, a.access_token)).toBe('ERR_TOKEN_REVOKED');
      }, WAIT);
    });
  });
}
