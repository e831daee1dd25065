import { RevocableError } from '../errors.js';
import type { Revoker } from '../revocation/revoker.js';
import type { RevocationEvent, RevocationReason } from '../revocation/rules.js';
import type { RevocableAuth } from './authenticate.js';

/**
 * What a logout ends:
 * - `token`: only the token in hand (a `token` rule on its `jti`, or the configured id claim, or a hash);
 * - `session`: every token of its session issued until now (needs a `sid` claim);
 * - `subject`: every token of its user issued until now (log out everywhere).
 */
export type LogoutScope = 'token' | 'session' | 'subject';

/** Options of {@link revoke}. */
export interface RevokeOptions {
  /** Default: `session` when the token has a `sid`, `token` otherwise. */
  readonly scope?: LogoutScope;
  /** Recorded with the rule. Default `logout` (`logout_all` for `subject`). */
  readonly reason?: RevocationReason;
  /** Recorded with the rule. Default `user:<sub>`. */
  readonly actor?: string;
}

/** The part of a {@link Revoker} that {@link revoke} uses. */
export type LogoutRevoker = Pick<Revoker, 'revokeToken' | 'revokeSession' | 'revokeSubject'>;

const SCOPES: ReadonlySet<string> = new Set<LogoutScope>(['token', 'session', 'subject']);

/**
 * Revokes what the verified token in hand stands for, for the app's own logout route behind a
 * Revocable middleware: the rule goes to the revocation log through `revoker`, and every replica fed
 * by that log rejects the token from then on (`ERR_TOKEN_REVOKED`). Throws `ERR_CONFIG_INVALID`
 * when the route is not protected (no `auth`), and `ERR_REVOCATION_INVALID` for `session` on a token
 * without `sid`.
 *
 * @example
 * ```ts
 * app.post('/logout', requireAuth({ verifier }), async (req, res) => {
 *   await revoke(revoker, req.auth);                          // this session (or this token)
 *   res.status(204).end();
 * });
 * await revoke(revoker, req.auth, { scope: 'subject' });     // log out everywhere
 * ```
 */
export async function revoke(
  revoker: LogoutRevoker,
  auth: RevocableAuth | null | undefined,
  options: RevokeOptions = {},
): Promise<RevocationEvent> {
  if (revoker === null || typeof revoker !== 'object' || typeof revoker.revokeToken !== 'function') {
    throw new RevocableError('ERR_CONFIG_INVALID', 'revoke needs a Revoker.');
  }
  if (auth === null || auth === undefined || typeof auth.facts !== 'object') {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      'revoke needs the verified token the Revocable middleware put on the request; protect the route first.',
    );
  }
  const { facts } = auth;
  const scope = options.scope ?? (facts.sid === undefined ? 'token' : 'session');
  if (!SCOPES.has(scope)) {
    throw new RevocableError('ERR_CONFIG_INVALID', 'scope must be token, session or subject.');
  }
  const audit = {
    reason: options.reason ?? (scope === 'subject' ? 'logout_all' : 'logout'),
    actor: options.actor ?? `user:${facts.sub}`,
  };
  switch (scope) {
    case 'token':
      return revoker.revokeToken(facts, audit);
    case 'session':
      if (facts.sid === undefined) {
        throw new RevocableError('ERR_REVOCATION_INVALID', 'The token has no sid claim: it has no session.');
      }
      return revoker.revokeSession(facts.iss, facts.sid, audit);
    case 'subject':
      return revoker.revokeSubject(facts.iss, facts.sub, audit);
  }
}
