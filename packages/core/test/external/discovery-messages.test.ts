// A failed discovery says what was tried, what was seen and what to change: the URL requested, the
// status, and the other kind of document when this one is missing; an issuer mismatch names both
// values. Codes stay as documented (ERR_JWKS_UNAVAILABLE, ERR_CONFIG_INVALID).
import { discoverIssuer, RevocableError } from '@revocable/core';
import { afterEach, describe, expect, it } from 'vitest';
import { sendJson, startServer, type TestServer } from './support/json-server.js';

const servers: TestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** A server answering 404 to everything until a test gives it a handler. */
async function server(): Promise<TestServer> {
  const started = await startServer();
  servers.push(started);
  return started;
}

async function failure(promise: Promise<unknown>): Promise<RevocableError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(error instanceof RevocableError)) throw new Error(`expected a RevocableError, got ${String(error)}`);
  return error;
}

describe('discovery failures say what was tried, what was seen and the fix', () => {
  it('control: a document that is there is read', async () => {
    const { origin } = await server();
    servers[0]!.handle = (_req, res) => sendJson(res, { issuer: origin, jwks_uri: `${origin}/jwks` });
    const metadata = await discoverIssuer({ issuer: origin, allowInsecureLocalhost: true });
    expect(metadata.jwksUri).toBe(`${origin}/jwks`);
  });

  it('a 404 for OIDC discovery names the URL and points at RFC 8414 metadata', async () => {
    const { origin } = await server();
    const error = await failure(discoverIssuer({ issuer: origin, allowInsecureLocalhost: true }));
    expect(error.code).toBe('ERR_JWKS_UNAVAILABLE');
    expect(error.message).toContain(`GET ${origin}/.well-known/openid-configuration answered 404`);
    expect(error.message).toContain("kind: 'oauth-authorization-server'");
  });

  it('a 404 for RFC 8414 metadata names the URL and points at OIDC discovery', async () => {
    const { origin } = await server();
    const error = await failure(
      discoverIssuer({ issuer: origin, kind: 'oauth-authorization-server', allowInsecureLocalhost: true }),
    );
    expect(error.message).toContain(`GET ${origin}/.well-known/oauth-authorization-server answered 404`);
    expect(error.message).toContain('openid-configuration');
  });

  it('an unreachable issuer names the URL tried', async () => {
    const gone = await server();
    const { origin } = gone;
    await gone.close();
    servers.splice(0);
    const error = await failure(discoverIssuer({ issuer: origin, allowInsecureLocalhost: true }));
    expect(error.code).toBe('ERR_JWKS_UNAVAILABLE');
    expect(error.message).toContain(`GET ${origin}/.well-known/openid-configuration`);
    expect(error.message).toMatch(/unreachable|did not answer/);
  });

  it('an issuer mismatch names both values and what to change', async () => {
    const { origin } = await server();
    servers[0]!.handle = (_req, res) =>
      sendJson(res, { issuer: 'https://elsewhere.example', jwks_uri: `${origin}/jwks` });
    const error = await failure(discoverIssuer({ issuer: origin, allowInsecureLocalhost: true }));
    expect(error.code).toBe('ERR_CONFIG_INVALID');
    expect(error.message).toContain('"https://elsewhere.example"');
    expect(error.message).toContain(`"${origin}"`);
    expect(error.message).toContain(`${origin}/.well-known/openid-configuration`);
  });
});
