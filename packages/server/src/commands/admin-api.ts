import { adminTokenFilePath, isLoopbackHost, readAdminTokenFile } from '../admin-token-file.js';
import type { ServiceConfig } from '../config.js';
import { CommandError, ServiceRefusal, usageError } from './command-error.js';

/**
 * A running service's admin API (`Authorization: Bearer` the admin token), for the commands given
 * `--url`. Answers in the API's wire form; a refusal is `ERR_SERVICE_REFUSED` carrying the service's
 * own code and message, a service that does not answer `ERR_SERVICE_UNREACHABLE`.
 *
 * @example
 * ```ts
 * const api = await AdminApi.connect('http://localhost:3000', config, USAGE.revoke);
 * const event = await api.call('POST', '/admin/revocations', { rule: { kind: 'subject', sub } });
 * ```
 */
export class AdminApi {
  private constructor(
    readonly base: string,
    readonly token: string,
  ) {}

  /**
   * Checks `url` and finds the admin token: `REVOCABLE_ADMIN_TOKEN` (or `--admin-token`), else — for
   * a service on this machine — the token file `revocable serve` made beside the database.
   */
  static async connect(url: string, config: ServiceConfig, usage: string): Promise<AdminApi> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw usageError('--url must be the service URL, e.g. http://localhost:3000.', usage);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw usageError('--url must be an http:// or https:// URL.', usage);
    const fromFile = isLoopbackHost(parsed.hostname)
      ? await readAdminTokenFile(adminTokenFilePath(config.database))
      : undefined;
    const token = config.adminToken ?? fromFile;
    if (token === undefined) {
      throw new CommandError(
        'ERR_ADMIN_TOKEN_REQUIRED',
        `The admin API of ${parsed.origin} needs its admin token: set REVOCABLE_ADMIN_TOKEN to the token the service runs with.`,
      );
    }
    return new AdminApi(parsed.origin + parsed.pathname.replace(/\/$/, ''), token);
  }

  /** One admin API call; resolves the JSON answer (`undefined` for 204). */
  async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const url = this.base + path;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (cause) {
      const why = (cause as { cause?: { code?: string } }).cause?.code ?? (cause as Error).message;
      throw new CommandError(
        'ERR_SERVICE_UNREACHABLE',
        `The service at ${this.base} does not answer (${why}): is it running, and is --url right?`,
        undefined,
        { cause },
      );
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const answer = (json ?? {}) as { error?: unknown; message?: unknown };
      const code = typeof answer.error === 'string' ? answer.error : `HTTP ${response.status}`;
      const message = typeof answer.message === 'string' ? answer.message : response.statusText;
      throw new ServiceRefusal(
        response.status,
        code,
        `The service refused ${method} ${path}: ${code} (HTTP ${response.status}): ${message}`.slice(0, 600),
      );
    }
    return json as T;
  }
}
