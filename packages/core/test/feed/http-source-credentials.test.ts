// A feed that refuses the client's credentials is a configuration mistake with a known fix, not an
// outage: `HttpFeedSource` says so (ERR_CONFIG_INVALID, naming the client and the fix), where a feed
// that is down stays ERR_LOG_UNAVAILABLE.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpFeedSource, isRevocableError, RevocableError } from '@revocable/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SECRET = 'the-secret-never-shown-0123456789';
let status = 200;
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(
      status === 200
        ? JSON.stringify({ type: 'snapshot', seq: 0, taken_at: Date.now(), events: [] })
        : JSON.stringify({ error: 'ERR_CLIENT_AUTH_FAILED', message: 'Client authentication failed.' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const source = () => new HttpFeedSource({ url, clientId: 'orders-api', clientSecret: SECRET });

async function failure(read: Promise<unknown>): Promise<RevocableError> {
  const error = await read.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(error instanceof RevocableError)) throw new Error(`expected a RevocableError, got ${String(error)}`);
  return error;
}

describe('HttpFeedSource and refused client credentials', () => {
  it('control: a feed that answers 200 gives its snapshot', async () => {
    status = 200;
    expect((await source().snapshot()).seq).toBe(0);
  });

  for (const refused of [401, 403]) {
    it(`a ${refused} is ERR_CONFIG_INVALID naming the client and the fix, never the secret`, async () => {
      status = refused;
      for (const read of [() => source().snapshot(), () => source().readAfter(0, 1)]) {
        const error = await failure(read());
        expect(error.code).toBe('ERR_CONFIG_INVALID');
        expect(error.message).toContain(`${url}/revocations`);
        expect(error.message).toContain(String(refused));
        expect(error.message).toContain('"orders-api"');
        expect(error.message).toContain('npx revocable client add orders-api');
        expect(error.message).not.toContain(SECRET);
      }
    });
  }

  it('a 500 is still an outage: ERR_LOG_UNAVAILABLE', async () => {
    status = 500;
    expect(isRevocableError(await failure(source().snapshot()), 'ERR_LOG_UNAVAILABLE')).toBe(true);
  });
});
