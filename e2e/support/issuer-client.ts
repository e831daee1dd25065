// What the suites ask of the issuer over HTTP: mint sessions (admin), revoke (admin), read the log.
import type { RevocationEvent, RevocationRule } from '@revocable/core';
import { type EventWire, ruleFromWire, ruleToWire } from '../../packages/server/src/http/wire.js';

export const ADMIN_TOKEN = 'admin-token-for-e2e-tests-0123456789abcdef';
export const CLIENT = { id: 'api', secret: 'api-secret-for-e2e-0123456789' };
export const AUDIENCE = 'revocable-api';

/** An access token with the claims the suites need. */
export interface Token {
  readonly token: string;
  readonly iss: string;
  readonly jti: string;
  readonly sid: string;
  readonly sub: string;
  /** `exp` in epoch ms. */
  readonly expiresAt: number;
}

/** An event of the admin API (snake_case, RFC 3339) in the core's form, as the suites compare rules. */
function eventFromWire(event: EventWire): RevocationEvent {
  return {
    seq: event.seq,
    rule: ruleFromWire(event.rule),
    reason: event.reason as RevocationEvent['reason'],
    actor: event.actor,
    recordedAt: Date.parse(event.recorded_at),
    forgetAfter: Date.parse(event.forget_after),
  };
}

function claimsOf(token: string): { iss: string; jti: string; sid: string; sub: string; exp: number } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

export class IssuerClient {
  constructor(readonly base: string) {}

  async #call(method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<Response> {
    return fetch(this.base + path, {
      method,
      headers: {
        authorization: `Bearer ${ADMIN_TOKEN}`,
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  }

  /** Opens a session for `sub` (trusted-backend minting) and returns its access token. */
  async mint(sub: string): Promise<Token> {
    const response = await this.#call('POST', '/admin/sessions', { sub, device: 'e2e' });
    if (response.status !== 201)
      throw new Error(`mint answered ${response.status}: ${await response.text()}`);
    const { access_token: token } = (await response.json()) as { access_token: string };
    const claims = claimsOf(token);
    const { iss, jti, sid } = claims;
    return { token, iss, jti, sid, sub: claims.sub, expiresAt: claims.exp * 1000 };
  }

  /** Revokes by `rule`; resolves with the acknowledged event, rejects when not acknowledged. */
  async revoke(rule: RevocationRule, timeoutMs = 10_000): Promise<RevocationEvent> {
    const body = { rule: ruleToWire(rule), reason: 'admin' };
    const response = await this.#call('POST', '/admin/revocations', body, timeoutMs);
    if (response.status !== 201)
      throw new Error(`revoke answered ${response.status}: ${await response.text()}`);
    return eventFromWire((await response.json()) as EventWire);
  }

  /** Every event of the log, in order (the audit trail). */
  async readLog(): Promise<RevocationEvent[]> {
    const all: RevocationEvent[] = [];
    for (;;) {
      const after = all.at(-1)?.seq ?? 0;
      const response = await this.#call('GET', `/admin/revocations?after=${after}&limit=1000`);
      if (!response.ok) throw new Error(`reading the log answered ${response.status}`);
      const { events } = (await response.json()) as { events: EventWire[] };
      all.push(...events.map(eventFromWire));
      if (events.length < 1000) return all;
    }
  }

  /** Resolves once the issuer answers `/healthz`, or rejects after `timeoutMs`. */
  async ready(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        if ((await fetch(`${this.base}/healthz`, { signal: AbortSignal.timeout(1000) })).ok) return;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error(`the issuer at ${this.base} did not come up`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** A `token` rule for a minted token (of its issuer: rules are scoped by `iss`). */
export function tokenRule(token: Token): RevocationRule {
  return { kind: 'token', iss: token.iss, tokenId: token.jti, expiresAt: token.expiresAt };
}
