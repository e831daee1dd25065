import { RevocableError } from '../errors.js';
import { refusedCredentials } from '../feed/refused-credentials.js';
import type { LogoutRevoker } from '../middleware/revoke.js';
import type { TokenFacts } from '../revocation/check.js';
import type { RevocationAudit } from '../revocation/revoker.js';
import type { RevocationEvent } from '../revocation/rules.js';
import { basicAuthorization } from './client-credentials.js';

/**
 * Options of a {@link ServiceRevoker} (`connectToService` makes one from the service's metadata).
 *
 * @example
 * ```ts
 * const revoker = new ServiceRevoker({
 *   endpoint: 'https://auth.example/revocations',
 *   clientId: 'orders-api',
 *   clientSecret: process.env.REVOCABLE_CLIENT_SECRET!,
 * });
 * ```
 */
export interface ServiceRevokerOptions {
  /** The service's `revocable_feed_endpoint` (`https://auth.example/revocations`). */
  readonly endpoint: string;
  /** The API's confidential client at the service. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** Abort a request after this many ms. Default 5,000. */
  readonly timeoutMs?: number;
  /** A `fetch` implementation; defaults to the global one. */
  readonly fetch?: typeof globalThis.fetch;
}

/** The reasons the service takes from an API: its own logouts. */
const REASONS = new Set(['logout', 'logout_all']);

/** A rule as `POST /revocations` takes it: the feed's form, no cutoff (the service's clock sets it). */
type ClientRule =
  | { kind: 'token'; iss: string; tokenId: string; expiresAt: number }
  | { kind: 'session'; iss: string; sid: string }
  | { kind: 'subject'; iss: string; sub: string };

function unavailable(message: string, cause?: unknown): RevocableError {
  return new RevocableError('ERR_LOG_UNAVAILABLE', message, undefined, cause === undefined ? {} : { cause });
}

/**
 * The {@link LogoutRevoker} of an API connected to a Revocable service: `revoke(revoker, req.auth)`
 * in the API's own logout route sends the rule to the service's `POST /revocations` with the API's
 * client credentials. The service ends the stored session (no refresh after it), writes the rule with
 * its own clock as the cutoff, and every replica following its feed, this API's included, refuses the
 * token from then on. Resolves with the event as the log recorded it (`actor` is `client:<id>`: the
 * service records who wrote it, not `audit.actor`).
 *
 * Throws `ERR_CONFIG_INVALID` for a reason other than `logout`/`logout_all`, a `cutoff` (the service's
 * clock decides), or refused credentials; `ERR_REVOCATION_INVALID` for a rule the service refuses;
 * `ERR_LOG_UNAVAILABLE` when the service cannot be reached or fails: then nothing was revoked, retry.
 *
 * @example
 * ```ts
 * const { verifier, revoker } = await connectToService('https://auth.example', { clientId, clientSecret });
 * app.post('/logout', requireAuth({ verifier }), async (req, res) => {
 *   await revoke(revoker, req.auth); // ends the session at the service
 *   res.sendStatus(204);
 * });
 * ```
 */
export class ServiceRevoker implements LogoutRevoker {
  readonly #endpoint: string;
  readonly #clientId: string;
  readonly #authorization: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof globalThis.fetch;

  constructor(options: ServiceRevokerOptions) {
    this.#endpoint = options.endpoint;
    this.#clientId = options.clientId;
    this.#authorization = basicAuthorization(options.clientId, options.clientSecret);
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /** Revokes one token of the service, by id, until its expiry. */
  revokeToken(
    facts: Pick<TokenFacts, 'iss' | 'tokenId' | 'expiresAtMs'>,
    audit: RevocationAudit,
  ): Promise<RevocationEvent> {
    const rule = {
      kind: 'token',
      iss: facts.iss,
      tokenId: facts.tokenId,
      expiresAt: facts.expiresAtMs,
    } as const;
    return this.#post(rule, audit);
  }

  /** Ends a session at the service: its stored session, then every token of it issued until now. */
  revokeSession(iss: string, sid: string, audit: RevocationAudit, cutoff?: number): Promise<RevocationEvent> {
    return this.#post({ kind: 'session', iss, sid }, audit, cutoff);
  }

  /** Ends every session of a user at the service: log out everywhere. */
  revokeSubject(iss: string, sub: string, audit: RevocationAudit, cutoff?: number): Promise<RevocationEvent> {
    return this.#post({ kind: 'subject', iss, sub }, audit, cutoff);
  }

  async #post(rule: ClientRule, audit: RevocationAudit, cutoff?: number): Promise<RevocationEvent> {
    if (cutoff !== undefined) {
      throw new RevocableError(
        'ERR_CONFIG_INVALID',
        "The service sets a revocation's cutoff by its own clock; call without one.",
      );
    }
    if (!REASONS.has(audit?.reason)) {
      throw new RevocableError(
        'ERR_CONFIG_INVALID',
        `The service records an API's revocations as logout or logout_all, not ${JSON.stringify(String(audit?.reason).slice(0, 32))}; other reasons are for its admin API.`,
      );
    }
    let response: Response;
    try {
      response = await this.#fetch(this.#endpoint, {
        method: 'POST',
        headers: {
          authorization: this.#authorization,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({ rule, reason: audit.reason }),
        redirect: 'error',
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      throw unavailable(
        `The revocation was not recorded: POST ${this.#endpoint} failed (${(cause as Error)?.name === 'TimeoutError' ? `no answer in ${this.#timeoutMs} ms` : 'unreachable'}). The token is still valid; try again.`,
        cause,
      );
    }
    const body = (await response.json().catch(() => undefined)) as Record<string, unknown> | undefined;
    if (response.status === 201 && typeof body?.['seq'] === 'number')
      return body as unknown as RevocationEvent;
    throw this.#refusal(response.status, body);
  }

  #refusal(status: number, body: Record<string, unknown> | undefined): RevocableError {
    const code = body?.['error'];
    const said = typeof body?.['message'] === 'string' ? body['message'].slice(0, 300) : '';
    if (status === 401 || (status === 403 && code !== 'ERR_RULE_FORBIDDEN')) {
      return refusedCredentials('POST', this.#endpoint, status, this.#clientId);
    }
    if (status === 400 || status === 403) {
      return new RevocableError(
        'ERR_REVOCATION_INVALID',
        `The service refused the rule (${status}): ${said}`,
      );
    }
    if (status === 404 || status === 405) {
      return new RevocableError(
        'ERR_CONFIG_INVALID',
        `POST ${this.#endpoint} answered ${status}: the service is older than this @revocable/core and takes no revocations from APIs. Upgrade it.`,
      );
    }
    return unavailable(
      `The revocation was not recorded: POST ${this.#endpoint} answered ${status}. The token is still valid; try again.`,
    );
  }
}
