import { createHash, timingSafeEqual } from 'node:crypto';
import type { ClientStore } from '@revocable/core';
import { ServiceError } from '../errors.js';

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

/**
 * The confidential clients allowed to call RFC 7009/7662 and read the revocation feed: those from
 * configuration (held in memory, never stored) and those added with `revocable client add` (stored).
 *
 * @example
 * ```ts
 * const clients = new ClientRegistry([{ id: 'api', secret: process.env.API_SECRET! }], store);
 * const clientId = await clients.authenticate(request.headers.authorization, request.body);
 * ```
 */
export class ClientRegistry {
  readonly #configured = new Map<string, Buffer>();

  constructor(
    configured: ReadonlyArray<{ id: string; secret: string }>,
    private readonly store: ClientStore | undefined,
  ) {
    for (const { id, secret } of configured) this.#configured.set(id, digest(secret));
  }

  /** The authenticated client id; throws `ERR_CLIENT_AUTH_FAILED` (401) otherwise. */
  async authenticate(authorization: string | undefined, body: unknown): Promise<string> {
    const credentials = readClientCredentials(authorization, body);
    if (credentials) {
      const given = digest(credentials.secret);
      let expected = this.#configured.get(credentials.id);
      if (!expected && this.store) {
        const stored = await this.store.getClient(credentials.id);
        if (stored) expected = Buffer.from(stored.secretHash, 'base64url');
      }
      if (expected && expected.length === given.length && timingSafeEqual(expected, given))
        return credentials.id;
    }
    throw new ServiceError('ERR_CLIENT_AUTH_FAILED', 'Client authentication failed.');
  }
}
