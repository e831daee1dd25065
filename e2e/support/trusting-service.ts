// The Revocable service started from a configuration file that trusts external issuers (issue 12),
// on a port chosen first: the stand-ins must know the service's back-channel logout URLs before the
// service can read their discovery documents.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type RunningService, serve } from '@revocable/server';
import { ADMIN_TOKEN, freePort, Http } from '../../packages/server/test/support/service.js';

/** The API's client at the service: it may introspect, revoke and follow the feed for every issuer. */
export const API_CLIENT = { id: 'orders-api', secret: 'orders-api-secret-0123456789abcdef' };

/** A place for the service: its port and URL are known before it starts. */
export interface ServiceSlot {
  readonly port: number;
  /** The service's URL and issuer (`http://localhost:PORT`). */
  readonly url: string;
  /** Where issuer `id`'s back-channel logout tokens go. */
  backchannelUri(id: string): string;
}

/**
 * Picks the service's port and URL before anything starts.
 *
 * @example
 * ```ts
 * const slot = await reserveService();
 * const keycloak = await startOidcShape('keycloak', { backchannelLogoutUri: slot.backchannelUri('keycloak') });
 * ```
 */
export async function reserveService(): Promise<ServiceSlot> {
  const port = await freePort();
  const url = `http://localhost:${port}`;
  return { port, url, backchannelUri: (id) => `${url}/backchannel-logout/${id}` };
}

export interface TrustingService {
  readonly service: RunningService;
  readonly url: string;
  readonly http: Http;
  /** The configuration file it was started with. */
  readonly configFile: string;
  /** The revocation events in the service's log (the admin API's audit trail). */
  revocations(): Promise<{ seq: number; rule: Record<string, unknown>; reason?: string; actor?: string }[]>;
  /**
   * A second instance of the same service (same file, same database, same issuer) on another port,
   * as behind a load balancer.
   */
  anotherInstance(): Promise<{ readonly url: string; readonly http: Http; close(): Promise<void> }>;
  /** RFC 7662 introspection of `token` with the API client's credentials. */
  introspect(token: string): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/**
 * Writes `settings` (the file's fields: `trustedIssuers`, `clients`, `spaOrigins`, …) to a
 * `revocable.json`, with the slot's port and issuer, SQLite storage in a temporary directory and the
 * test admin token, and starts the service with `--config` and nothing else (a `--clients` flag would
 * replace the file's clients).
 *
 * @example
 * ```ts
 * const slot = await reserveService();
 * const entra = await startOidcShape('entra-v2', { backchannelLogoutUri: slot.backchannelUri('entra') });
 * const service = await startTrustingService(slot, { trustedIssuers: [trustedIssuerEntry('entra', entra)] });
 * ```
 */
export async function startTrustingService(
  slot: ServiceSlot,
  settings: Record<string, unknown>,
): Promise<TrustingService> {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-trusting-'));
  const configFile = join(dir, 'revocable.json');
  const file = {
    port: slot.port,
    issuer: slot.url,
    database: join(dir, 'revocable.db'),
    adminToken: ADMIN_TOKEN,
    logLevel: 'silent',
    clients: [clientEntry()],
    ...settings,
  };
  writeFileSync(configFile, JSON.stringify(file, null, 2), { mode: 0o600 });
  let service: RunningService;
  try {
    service = await serve(loadConfig(['--config', configFile], {}), { logger: false });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const http = new Http(slot.url);
  const basic = `Basic ${Buffer.from(`${API_CLIENT.id}:${API_CLIENT.secret}`).toString('base64')}`;
  return {
    service,
    url: slot.url,
    http,
    configFile,
    async revocations() {
      const answer = await http.get('/admin/revocations?limit=1000', ADMIN_TOKEN);
      if (answer.status !== 200) throw new Error(`GET /admin/revocations answered ${answer.status}`);
      return answer.body.events;
    },
    async anotherInstance() {
      const port = await freePort();
      const other = await serve(loadConfig(['--config', configFile, '--port', String(port)], {}), {
        logger: false,
      });
      const url = `http://127.0.0.1:${port}`;
      return { url, http: new Http(url), close: () => other.close() };
    },
    async introspect(token) {
      const answer = await http.call('POST', '/oauth/introspect', {
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        raw: new URLSearchParams({ token }).toString(),
      });
      return { status: answer.status, body: answer.body };
    },
    close: async () => {
      await service.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The API client's entry in the file: every grant, unless `permissions` narrows them.
 *
 * @example
 * ```ts
 * clientEntry({ revoke: ['entra'] }); // introspect '*', revoke entra only, feed
 * ```
 */
export function clientEntry(permissions: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: API_CLIENT.id,
    secret: API_CLIENT.secret,
    permissions: { introspect: '*', revoke: '*', feed: true, ...permissions },
  };
}

/**
 * A stand-in as a `trustedIssuers` entry, with back-channel logout from its SPA client; `extra`
 * overrides fields (`backchannelLogout: undefined` leaves it out).
 *
 * @example
 * ```ts
 * trustedIssuerEntry('entra', entra, { keys: { maxAge: 1, cooldown: 1, expireAfter: 4 } });
 * ```
 */
export function trustedIssuerEntry(
  id: string,
  shape: {
    readonly shape: string;
    readonly issuer: string;
    readonly audience: string;
    readonly clientId: string;
    readonly maxTokenLifetimeSec: number;
  },
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id,
    profile: shape.shape,
    issuer: shape.issuer,
    audience: shape.audience,
    maxTokenLifetime: shape.maxTokenLifetimeSec,
    allowInsecureLocalhost: true,
    backchannelLogout: { clientId: shape.clientId },
    ...extra,
  };
}
