import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClientStore } from '@revocable/core/internal';
import { ServiceError } from '../errors.js';
import {
  allows,
  type ClientAction,
  type ClientPermissions,
  DEFAULT_CLIENT_PERMISSIONS,
} from './client-permissions.js';

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Hashes a client secret for storage (secrets are >= 16 random characters, so SHA-256 suffices). */
export function hashClientSecret(secret: string): string {
  return digest(secret).toString('base64url');
}

/** A client's credentials as sent: HTTP Basic (RFC 6749 §2.3.1) or `client_id`/`client_secret` in a form body. */
export function readClientCredentials(
  authorization: string | undefined,
  body: unknown,
): { id: string; secret: string } | undefined {
  if (authorization?.toLowerCase().startsWith('basic ')) {
    const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
    const at = decoded.indexOf(':');
    if (at < 1) return undefined;
    try {
      return {
        id: decodeURIComponent(decoded.slice(0, at)),
        secret: decodeURIComponent(decoded.slice(at + 1)),
      };
    } catch {
      return undefined;
    }
  }
  const form = body as Record<string, unknown> | undefined;
  if (typeof form?.['client_id'] === 'string' && typeof form['client_secret'] === 'string') {
    return { id: form['client_id'], secret: form['client_secret'] };
  }
  return undefined;
}

/** Options of a {@link ClientRegistry}. */
export interface ClientRegistryOptions {
  /** Client ids that may be named without authenticating (`--public-clients`). Default `['revocable-web']`. */
  readonly publicClients?: readonly string[];
  /** Grants by client id (from the configuration file); any other client has {@link DEFAULT_CLIENT_PERMISSIONS}. */
  readonly permissions?: ReadonlyMap<string, ClientPermissions>;
  /** Compares two 32-byte digests in constant time; replaceable so tests can watch the comparisons. */
  readonly compare?: (expected: Buffer, given: Buffer) => boolean;
}

/**
 * The clients of the service. Confidential clients (those from configuration, held in memory, and
 * those added with `revocable client add`, stored) authenticate to call RFC 7009/7662 and read the
 * revocation feed; public clients (an explicit list) are the only ids a login or an unauthenticated
 * refresh may name.
 *
 * @example
 * ```ts
 * const clients = new ClientRegistry([{ id: 'api', secret: process.env.API_SECRET! }], store, {
 *   publicClients: ['revocable-web'],
 * });
 * const clientId = await clients.authenticate(request.headers.authorization, request.body);
 * await clients.assertPublic('revocable-web');
 * ```
 */
export class ClientRegistry {
  readonly #configured = new Map<string, Buffer>();
  readonly #public: ReadonlySet<string>;
  readonly #compare: (expected: Buffer, given: Buffer) => boolean;
  readonly #permissions: ReadonlyMap<string, ClientPermissions>;
  /** What an unknown id's secret is compared with, so it costs the same comparison as a wrong secret. */
  readonly #dummy = digest(randomBytes(32).toString('base64url'));

  constructor(
    configured: ReadonlyArray<{ id: string; secret: string }>,
    private readonly store: ClientStore | undefined,
    options: ClientRegistryOptions = {},
  ) {
    for (const { id, secret } of configured) this.#configured.set(id, digest(secret));
    this.#public = new Set(options.publicClients ?? ['revocable-web']);
    this.#compare = options.compare ?? timingSafeEqual;
    this.#permissions = options.permissions ?? new Map();
  }

  /** The grants of an authenticated client. */
  permissionsOf(id: string): ClientPermissions {
    return this.#permissions.get(id) ?? DEFAULT_CLIENT_PERMISSIONS;
  }

  /** Whether client `id` may do `action` for the issuer `issuerId` (`'self'`: the service's own tokens). */
  allows(id: string, action: ClientAction, issuerId?: string): boolean {
    return allows(this.permissionsOf(id), action, issuerId);
  }

  /** Throws `ERR_CLIENT_FORBIDDEN` (403) when client `id` may not do `action` (for `issuerId`). */
  assertAllowed(id: string, action: ClientAction, issuerId?: string): void {
    if (!this.allows(id, action, issuerId)) {
      throw new ServiceError(
        'ERR_CLIENT_FORBIDDEN',
        issuerId === undefined
          ? `This client is not granted ${action}.`
          : `This client is not granted ${action} for issuer "${issuerId}".`,
      );
    }
  }

  /** The authenticated client id; throws `ERR_CLIENT_AUTH_FAILED` (401) otherwise. */
  async authenticate(authorization: string | undefined, body: unknown): Promise<string> {
    const credentials = readClientCredentials(authorization, body);
    if (credentials) {
      const given = digest(credentials.secret);
      // Every id takes the same steps: a store lookup (its failure is ignored for a configured id,
      // which must keep working while the database is down) and one comparison.
      const configured = this.#configured.get(credentials.id);
      const lookup = this.store?.getClient(credentials.id);
      const stored = configured ? await lookup?.catch(() => undefined) : await lookup;
      const expected =
        configured ?? (stored ? Buffer.from(stored.secretHash, 'base64url') : undefined) ?? this.#dummy;
      const same = expected.length === given.length && this.#compare(expected, given);
      if (same && expected !== this.#dummy) return credentials.id;
    }
    throw new ServiceError('ERR_CLIENT_AUTH_FAILED', 'Client authentication failed.');
  }

  /**
   * Throws `ERR_BAD_REQUEST` when `id` names a confidential client (configured or stored): sessions
   * minted through the admin API are refreshed without client authentication, so they must not carry
   * a confidential client's id.
   */
  async assertNotConfidential(id: string): Promise<void> {
    if (this.#configured.has(id) || (await this.store?.getClient(id)) !== undefined) {
      throw new ServiceError(
        'ERR_BAD_REQUEST',
        'client_id names a confidential client; a minted session is refreshed without client authentication, so use another id.',
      );
    }
  }

  /**
   * Passes for a public client id; throws `ERR_CLIENT_INVALID` (400) for anything else: an unknown id,
   * a reserved word, or a confidential client (which must authenticate instead), even one stored
   * under a listed id.
   */
  async assertPublic(id: string): Promise<void> {
    const isPublic =
      this.#public.has(id) && !this.#configured.has(id) && (await this.store?.getClient(id)) === undefined;
    if (!isPublic) {
      throw new ServiceError(
        'ERR_CLIENT_INVALID',
        'client_id is not a public client of this service; a confidential client must authenticate.',
      );
    }
  }
}
