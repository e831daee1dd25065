import type { AccessTokenIssuer, AccessTokenRequest, IssuedAccessToken } from '@revocable/core';
import type { StatusListEntry, StatusListStore } from '@revocable/core/internal';
import { ServiceError } from '../errors.js';
import type { StatusListPublisher } from './status-list-publisher.js';

/** Claims one issue makes before it gives up: another process may take a drawn index first. */
const CLAIM_ATTEMPTS = 8;

/** What a {@link StatusListIssuer} needs. */
export interface StatusListIssuerOptions {
  readonly issuer: AccessTokenIssuer;
  readonly store: StatusListStore;
  readonly publisher: StatusListPublisher;
  readonly listId: string;
  readonly uri: string;
  /**
   * Added to a token's `exp` for its index's `freeAt`: the policy's clock margin (no verifier accepts
   * the token later) plus the list's `ttl` (no verifier still holds a list that shows its status).
   */
  readonly holdAfterExpiryMs: number;
  readonly clock?: () => number;
}

function kidOf(token: string): string {
  const header = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
  return (header as { kid: string }).kid;
}

/**
 * Issues the service's access tokens with `status.status_list { idx, uri }`: draws a random index
 * that no live token holds, signs the token with it, and records the entry (index → iss, sub, sid,
 * kid, jti, iat, exp) in the store, which gives each index to one live token only. When another
 * process took the index meanwhile, it draws again.
 *
 * @example
 * ```ts
 * const statusIssuer = new StatusListIssuer({ issuer, store, publisher, listId: '1', uri, holdAfterExpiryMs: 90_000 });
 * const { token } = await statusIssuer.issue({ sub: 'user-1', sid: 'sess-1' });
 * ```
 */
export class StatusListIssuer {
  readonly #options: StatusListIssuerOptions;
  readonly #clock: () => number;

  constructor(options: StatusListIssuerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Signs one access token that names its status list entry. Throws `ERR_UNAVAILABLE` (503) when no
   * free index could be found (the list is nearly full: raise `--status-list-size`), the issuer's and
   * the store's errors otherwise.
   */
  async issue(request: AccessTokenRequest): Promise<IssuedAccessToken> {
    const { issuer, store, publisher, listId, uri } = this.#options;
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const idx = publisher.entries.freeIndex();
      if (idx === undefined) break;
      const issued = issuer.issue({
        ...request,
        // Ours last: a session's own claims cannot point its tokens at another entry.
        claims: { ...request.claims, status: { status_list: { idx, uri } } },
      });
      const recorded = await store.claim(this.#entryOf(issued, idx, listId), this.#clock());
      if (recorded !== undefined) {
        publisher.note(recorded);
        return issued;
      }
    }
    throw new ServiceError(
      'ERR_UNAVAILABLE',
      'No free status list index was found: the status list is nearly full. Try again later.',
      { retryAfterSec: 1 },
    );
  }

  #entryOf(issued: IssuedAccessToken, idx: number, list: string): StatusListEntry {
    const { claims } = issued;
    const expiresAt = claims.exp * 1000;
    return {
      list,
      idx,
      iss: claims.iss,
      sub: claims.sub,
      sid: claims.sid ?? null,
      kid: kidOf(issued.token),
      jti: claims.jti!,
      issuedAt: Math.round(claims.iat * 1000),
      expiresAt,
      freeAt: expiresAt + this.#options.holdAfterExpiryMs,
    };
  }
}
