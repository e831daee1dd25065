import { RevocableError, type RevocableErrorCode } from '../errors.js';
import type { VerifiedToken } from '../verify/verifier.js';
import { bearerToken } from './bearer.js';
import { HTTP_STATUS, wwwAuthenticate } from './http-status.js';
import { type AuthSettings, authSettings, type RequireAuthOptions } from './options.js';
import { requireScopes } from './scope.js';

/**
 * What middleware puts on a request whose token passed: the verified header, claims (`sub`, `scope`,
 * `sid`, …) and the facts the revocation rules use. Never the token text.
 */
export type RevocableAuth = VerifiedToken;

/** The token passed every check. */
export interface AuthSuccess {
  readonly ok: true;
  readonly auth: RevocableAuth;
}

/** The JSON body of a refusal: the stable code and a message for people, neither holding token text. */
export interface AuthFailureBody {
  readonly error: RevocableErrorCode;
  readonly message: string;
}

/** The token did not pass: the HTTP answer to send, the same in every framework. */
export interface AuthFailure {
  readonly ok: false;
  /** 401, 403 (insufficient scope) or 503 (stale revocation state, key source down). */
  readonly status: number;
  /** `WWW-Authenticate` (RFC 6750 §3) where the failure is about the credential, and `Cache-Control`. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: AuthFailureBody;
  /** The error behind the refusal, for logs (its message never holds token text). */
  readonly cause: RevocableError;
}

/** The outcome of authenticating one request. */
export type AuthVerdict = AuthSuccess | AuthFailure;

/**
 * From an `Authorization` header value (as the framework hands it over) to a verdict: synchronous when
 * the verifier could decide without I/O (the usual case), a promise when it had to fetch keys or ask
 * the issuer. `await` works on both.
 */
export type Authenticator = (
  authorization: string | readonly string[] | null | undefined,
) => AuthVerdict | Promise<AuthVerdict>;

/** Failures the async `verify` may still turn around: an unknown key (refetch) or a stale replica (introspect). */
const ASYNC_CAN_DECIDE: ReadonlySet<RevocableErrorCode> = new Set([
  'ERR_KEY_UNKNOWN',
  'ERR_REVOCATION_STALE',
]);

/**
 * The refusal for a Revocable error: status from {@link HTTP_STATUS}, the RFC 6750 challenge
 * (no `error` attribute when no credential was sent), `Cache-Control: no-store`, and a JSON body with
 * the stable code.
 *
 * @example
 * ```ts
 * const failure = authFailure(new RevocableError('ERR_TOKEN_MISSING', 'No bearer token was sent.'), 'api');
 * // failure.status === 401, failure.headers['WWW-Authenticate'] === 'Bearer realm="api"'
 * ```
 */
export function authFailure(error: RevocableError, realm: string): AuthFailure {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  const challenge = wwwAuthenticate(error, realm);
  if (challenge !== undefined) headers['WWW-Authenticate'] = challenge;
  return {
    ok: false,
    status: HTTP_STATUS[error.code],
    headers,
    body: { error: error.code, message: error.message },
    cause: error,
  };
}

// Revocable's own messages never hold token text; a custom verifier's might. Better a bland message.
function withoutToken(error: RevocableError, token: string | undefined): RevocableError {
  if (token === undefined || token.length < 8 || !error.message.includes(token)) return error;
  return new RevocableError(error.code, 'The bearer token was refused.', {
    ...(error.claim === undefined ? {} : { claim: error.claim }),
    ...(error.rule === undefined ? {} : { rule: error.rule }),
    ...(error.scope === undefined ? {} : { scope: error.scope }),
  });
}

/**
 * Creates the framework-neutral core of every Revocable middleware: options are checked now
 * (`ERR_CONFIG_INVALID`), then each call reads the bearer token from an `Authorization` header value,
 * verifies it (remote-key refresh and the replica's stale policy included), checks the required
 * scopes and answers a verdict. Errors that are not `RevocableError`s (bugs) are rethrown.
 *
 * @example
 * ```ts
 * const authenticate = createAuthenticator({ verifier, scopes: ['orders:read'] });
 * const verdict = await authenticate(request.headers.authorization);
 * if (!verdict.ok) return send(verdict.status, verdict.headers, verdict.body);
 * console.log(verdict.auth.claims.sub);
 * ```
 */
export function createAuthenticator(options: RequireAuthOptions): Authenticator {
  const settings = authSettings(options);
  const decide = decider(settings);
  const observe = settings.onVerdict;
  if (observe === undefined) return decide;
  return (authorization) => {
    const verdict = decide(authorization);
    if (!(verdict instanceof Promise)) return observed(observe, verdict);
    return verdict.then((settled) => observed(observe, settled));
  };
}

/** Tells the observer, which must not throw; if it does, the verdict stands all the same. */
function observed(observe: (verdict: AuthVerdict) => void, verdict: AuthVerdict): AuthVerdict {
  try {
    observe(verdict);
  } catch {
    // An observer is for metrics and logs: its failure must not change who gets in.
  }
  return verdict;
}

function decider({ verifier, scopes, realm }: AuthSettings): Authenticator {
  const admit = (auth: VerifiedToken): AuthVerdict => {
    requireScopes(auth.claims, scopes);
    return { ok: true, auth };
  };
  const refuse = (err: unknown, token: string | undefined): AuthFailure => {
    if (!(err instanceof RevocableError)) throw err;
    return authFailure(withoutToken(err, token), realm);
  };
  return (authorization) => {
    let token: string | undefined;
    try {
      token = bearerToken(authorization);
      if (verifier.verifySync !== undefined) {
        try {
          return admit(verifier.verifySync(token));
        } catch (err) {
          if (!(err instanceof RevocableError) || !ASYNC_CAN_DECIDE.has(err.code)) throw err;
        }
      }
      const sent = token;
      return verifier
        .verify(sent)
        .then(admit)
        .catch((err: unknown) => refuse(err, sent));
    } catch (err) {
      return refuse(err, token);
    }
  };
}
