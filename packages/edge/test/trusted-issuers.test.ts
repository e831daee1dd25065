// The edge trusting an external issuer from the service's own configuration file: an Entra-shaped
// token (90 minutes, `uti`, `scp`) passes the edge, and a revocation of it at the service (RFC 7009)
// reaches the edge through the same feed. An issuer the service does not keep revocations for is
// refused at start. The issuer is a stand-in (JWKS, tokens signed with jose), as in the service's suite.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RevocableError } from '@revocable/core';
import { type RunningEdge, readTrustedIssuers, startEdge } from '@revocable/edge';
import { loadConfig, type RunningService, serve } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJson, startServer, type TestServer } from '../../core/test/external/support/json-server.js';
import { type IssuerKey, issuerKey, jwks, sign } from '../../core/test/external/support/keys.js';
import { type RecordingUpstream, startRecordingUpstream } from './support/recording-upstream.js';
import { ADMIN_TOKEN, eventually, freePort } from './support/service.js';

const EDGE_CLIENT = { id: 'edge', secret: 'edge-secret-0123456789abcdef' };
const LIFETIME = 5400;

let key: IssuerKey;
let op: TestServer;
let entra: string;
let dir: string;
let configPath: string;
let service: RunningService;
let upstream: RecordingUpstream;
let edge: RunningEdge;

beforeAll(async () => {
  key = await issuerKey('op-key-1', 'RS256');
  op = await startServer();
  entra = `${op.origin}/tenant/v2.0`;
  op.handle = (req, res) => (req.url === '/jwks' ? sendJson(res, jwks(key)) : sendJson(res, {}, 404));
  dir = mkdtempSync(join(tmpdir(), 'revocable-edge-issuers-'));
  configPath = join(dir, 'revocable.json');
  const port = await freePort();
  const issuer = `http://localhost:${port}`;
  const trustedIssuers = [
    {
      id: 'entra',
      profile: 'entra-v2',
      issuer: entra,
      jwksUri: `${op.origin}/jwks`,
      audience: 'api://orders',
      maxTokenLifetime: LIFETIME,
      allowInsecureLocalhost: true,
    },
  ];
  writeFileSync(
    configPath,
    JSON.stringify({
      port,
      issuer,
      database: ':memory:',
      adminToken: ADMIN_TOKEN,
      logLevel: 'silent',
      trustedIssuers,
      clients: [
        { ...EDGE_CLIENT, permissions: { introspect: ['self', 'entra'], revoke: ['entra'], feed: true } },
      ],
    }),
  );
  service = await serve(loadConfig(['--config', configPath], {}), { logger: false });
  upstream = await startRecordingUpstream();
  edge = await startEdge({
    service: issuer,
    clientId: EDGE_CLIENT.id,
    clientSecret: EDGE_CLIENT.secret,
    port: await freePort(),
    upstream: upstream.url,
    trustedIssuers: readTrustedIssuers(configPath, issuer),
  });
});
afterAll(async () => {
  await edge?.close();
  await upstream?.close();
  await service?.close();
  await op?.close();
  rmSync(dir, { recursive: true, force: true });
});

const now = () => Math.floor(Date.now() / 1000);
const entraToken = () =>
  sign(
    key,
    {
      iss: entra,
      sub: 'entra-user',
      aud: 'api://orders',
      azp: 'spa-app',
      scp: 'Orders.Read',
      uti: `uti-${Math.random()}`,
      ver: '2.0',
      iat: now(),
      exp: now() + 80 * 60,
    },
    { typ: 'JWT' },
  );

describe('an external issuer, trusted by the service and the edge alike', () => {
  it('control: an 80-minute Entra token passes, with its issuer and its scp as the scope', async () => {
    const token = await entraToken();
    const answer = await fetch(`${edge.url}/orders`, { headers: { authorization: `Bearer ${token}` } });
    expect(answer.status).toBe(200);
    const seen = upstream.received.at(-1)!.headers;
    expect(seen['x-revocable-iss']).toBe(entra);
    expect(seen['x-revocable-sub']).toBe('entra-user');
    expect(seen['x-revocable-scope']).toBe('Orders.Read');
  });

  it('revoked at the service (RFC 7009), it is refused by the edge through the feed', async () => {
    const token = await entraToken();
    const call = () => fetch(`${edge.url}/orders`, { headers: { authorization: `Bearer ${token}` } });
    expect((await call()).status).toBe(200);
    const revoked = await fetch(`${service.url}/oauth/revoke`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${EDGE_CLIENT.id}:${EDGE_CLIENT.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(revoked.status).toBe(200);
    const answer = await eventually(call, (a) => a.status !== 200);
    expect(answer.status).toBe(401);
    expect(await answer.json()).toMatchObject({ error: 'ERR_TOKEN_REVOKED' });
  });

  it('a token of an issuer nobody trusts is refused', async () => {
    const stranger = await sign(key, {
      iss: 'https://stranger.example',
      sub: 'x',
      aud: 'api://orders',
      iat: now(),
      exp: now() + 60,
      jti: 'j',
    });
    const answer = await fetch(`${edge.url}/orders`, { headers: { authorization: `Bearer ${stranger}` } });
    expect(answer.status).toBe(401);
  });

  it('an issuer the service does not keep revocations for is refused at start, saying what to change', async () => {
    const issuer = service.runtime.config.issuer;
    const error = await startEdge({
      service: issuer,
      clientId: EDGE_CLIENT.id,
      clientSecret: EDGE_CLIENT.secret,
      port: await freePort(),
      trustedIssuers: [
        { ...readTrustedIssuers(configPath, issuer)[0]!, id: 'other', issuer: `${op.origin}/other/v2.0` },
      ],
    }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(RevocableError);
    expect((error as RevocableError).code).toBe('ERR_CONFIG_INVALID');
    expect((error as RevocableError).message).toContain("Add the same entry to the service's --config");
  });
});
