// Serves the SPA's static files (what `ng build` would put on a CDN): the page, its script, the
// oauth4webapi module it imports, and a config.json saying where the provider, the API and the service
// are. Nothing here knows a token.

import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What the page reads from /config.json. */
export interface SpaConfig {
  /** The provider's issuer (Entra: `https://login.microsoftonline.com/<tenant>/v2.0`). */
  readonly issuer: string;
  readonly clientId: string;
  /** What the SPA asks a token for (the stand-in takes an RFC 8707 resource indicator). */
  readonly resource: string;
  readonly scope: string;
  readonly apiUrl: string;
  /** The Revocable service: the revocation point the SPA's sign-out calls. */
  readonly serviceUrl: string;
}

export interface SpaServer {
  readonly url: string;
  /** What /config.json answers from now on. */
  configure(config: SpaConfig): void;
  close(): Promise<void>;
}

const FILES: Record<string, { file: URL; type: string }> = {
  '/': { file: new URL('./spa/index.html', import.meta.url), type: 'text/html; charset=utf-8' },
  '/callback': { file: new URL('./spa/index.html', import.meta.url), type: 'text/html; charset=utf-8' },
  '/app.js': { file: new URL('./spa/app.js', import.meta.url), type: 'text/javascript; charset=utf-8' },
  '/vendor/oauth4webapi.js': {
    file: pathToFileURL(createRequire(import.meta.url).resolve('oauth4webapi')),
    type: 'text/javascript; charset=utf-8',
  },
};

/**
 * Starts the SPA's static server on 127.0.0.1 (`port` 0: any free one). Its config comes later, by
 * `configure`: the provider must know the SPA's redirect URI before the SPA can know the provider.
 *
 * @example
 * ```ts
 * const spa = await startSpaServer();
 * const provider = await startOidcShape('entra-v2', { redirectUri: `${spa.url}/callback` });
 * spa.configure({ issuer: provider.issuer, clientId: provider.clientId, … });
 * ```
 */
export async function startSpaServer(port = 0): Promise<SpaServer> {
  const state: { config?: SpaConfig } = {};
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
    if (path === '/config.json' && state.config !== undefined) {
      res
        .writeHead(200, { ...headers, 'content-type': 'application/json' })
        .end(JSON.stringify(state.config));
      return;
    }
    const entry = FILES[path];
    if (req.method !== 'GET' || entry === undefined) return void res.writeHead(404, headers).end();
    readFile(fileURLToPath(entry.file)).then(
      (body) => res.writeHead(200, { ...headers, 'content-type': entry.type }).end(body),
      () => res.writeHead(500, headers).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    configure(config) {
      state.config = config;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
