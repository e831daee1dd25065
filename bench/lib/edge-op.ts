// The remote authorization server of the `edge` suite, run as its own process by bench/edge.ts
// (startChild): oidc-provider (a certified OpenID Provider) with RFC 7662 introspection and one
// confidential client. It issues `pool` opaque access tokens (client_credentials) and revokes 1 % of
// them (RFC 7009), so introspection answers both active and inactive, as at the edge.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { cpuReading, serveParent } from './child.js';

/** What the parent passes (one JSON argument). */
export interface OpConfig {
  readonly pool: number;
  readonly revokeEvery: number;
  readonly client: { readonly id: string; readonly secret: string };
}

/** What the child answers when ready. */
export interface OpReady {
  readonly port: number;
  /** The introspection endpoint's path. */
  readonly introspectionPath: string;
  readonly pool: string[];
  readonly revoked: number[];
}

const config = JSON.parse(process.argv[2] ?? '{}') as OpConfig;

await serveParent<OpReady>(async () => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: config.client.id,
        client_secret: config.client.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    cookies: { keys: ['cookie-signing-key-for-bench-only'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      revocation: { enabled: true },
    },
    ttl: { ClientCredentials: 600 },
  });
  server.on('request', provider.callback());
  const basic = `Basic ${Buffer.from(`${config.client.id}:${config.client.secret}`).toString('base64')}`;
  const post = async (path: string, form: Record<string, string>) => {
    const response = await fetch(`${issuer}${path}`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    if (response.status !== 200)
      throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    await response.arrayBuffer();
  };
  const pool: string[] = [];
  const revoked: number[] = [];
  for (let i = 0; i < config.pool; i++) {
    const response = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    });
    const body = (await response.json()) as { access_token?: string };
    if (response.status !== 200 || body.access_token === undefined)
      throw new Error(`token answered ${response.status}: ${JSON.stringify(body)}`);
    pool.push(body.access_token);
    if (i % config.revokeEvery === config.revokeEvery - 1) {
      revoked.push(i);
      await post('/token/revocation', { token: body.access_token });
    }
  }
  return {
    ready: { port, introspectionPath: '/token/introspection', pool, revoked },
    handlers: {
      cpu: () => cpuReading(),
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    },
  };
});
