// The question this project started from: an Angular SPA and a Spring Boot API sign users in with Azure
// AD (Entra ID); how does logout invalidate the JWT? Here, with what runs on one machine:
//   - an Entra ID-shaped OpenID provider (oidc-provider issuing Entra v2 access tokens: typ JWT, uti, scp),
//   - the Revocable service (`revocable serve --config revocable.json`), trusting that provider: the
//     revocation point, where the SPA signs out with its bearer token,
//   - an API verifying the provider's tokens against the service's revocations (followed over its feed),
//   - the SPA: a static page doing code + PKCE in the browser.
// Run: npx tsx --conditions=source examples/spa-external-oidc/run.ts, then open the SPA's URL.

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, type RunningService, serve } from '@revocable/server';
import { type OidcShape, startOidcShape } from '../../e2e/support/oidc-shapes.js';
import { type Api, startApi } from './api.js';
import { type SpaServer, startSpaServer } from './spa-server.js';

export interface Example {
  readonly provider: OidcShape;
  readonly service: RunningService;
  /** The service's URL (its issuer). */
  readonly serviceUrl: string;
  readonly api: Api;
  readonly spa: SpaServer;
  /** The configuration file the service was started with. */
  readonly configFile: string;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Starts the provider, the service, the API and the SPA on free ports of 127.0.0.1.
 *
 * @example
 * ```ts
 * const example = await startExample();
 * console.log(`open ${example.spa.url}/`);
 * await example.close();
 * ```
 */
export async function startExample(): Promise<Example> {
  const spa = await startSpaServer();
  const provider = await startOidcShape('entra-v2', { redirectUri: `${spa.url}/callback` });

  // The service's configuration, as an operator writes it (camelCase keys of the flags).
  const port = await freePort();
  const serviceUrl = `http://localhost:${port}`;
  const apiClient = { id: 'orders-api', secret: randomBytes(24).toString('base64url') };
  const dir = mkdtempSync(join(tmpdir(), 'spa-external-oidc-'));
  const configFile = join(dir, 'revocable.json');
  const settings = {
    issuer: serviceUrl,
    port,
    database: 'memory',
    trustedIssuers: [
      {
        id: 'entra',
        profile: 'entra-v2',
        issuer: provider.issuer, // Entra: "tenant": "<tenant-guid>" instead
        audience: provider.audience, // the API's application (client) id
        maxTokenLifetime: provider.maxTokenLifetimeSec, // Entra: 60–90 minutes
        allowInsecureLocalhost: true, // the stand-in speaks http on 127.0.0.1: tests only
      },
    ],
    clients: [{ id: apiClient.id, secret: apiClient.secret, permissions: { feed: true } }],
    spaOrigins: [spa.url],
  };
  writeFileSync(configFile, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  const service = await serve(loadConfig(['--config', configFile, '--log-level', 'warn'], {}), {
    logger: false,
  });

  const api = await startApi({
    service: serviceUrl,
    clientId: apiClient.id,
    clientSecret: apiClient.secret,
    issuer: provider.issuer,
    audience: provider.audience,
    spaOrigin: spa.url,
    allowInsecureLocalhost: true,
  });
  spa.configure({
    issuer: provider.issuer,
    clientId: provider.clientId,
    resource: provider.resource,
    scope: provider.scope,
    apiUrl: api.url,
    serviceUrl,
  });

  return {
    provider,
    service,
    serviceUrl,
    api,
    spa,
    configFile,
    close: async () => {
      await api.close();
      await service.close();
      await provider.close();
      await spa.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const example = await startExample();
  console.log(`provider (Entra ID stand-in)  ${example.provider.issuer}`);
  console.log(`Revocable service             ${example.serviceUrl}   (config: ${example.configFile})`);
  console.log(`API                           ${example.api.url}/api/orders`);
  console.log(`\nOpen the SPA: ${example.spa.url}/\n`);
  console.log('Sign in, call the API, copy the token from sessionStorage, sign out: the copy is refused.');
  console.log('Ctrl-C stops everything.');
  const stop = () => void example.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
