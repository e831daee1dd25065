import { RevocableError } from '../errors.js';
import {
  type Authenticator,
  type AuthFailure,
  createAuthenticator,
  type RevocableAuth,
} from './authenticate.js';
import { authSettings, type RequireAuthOptions } from './options.js';

export type { AuthFailure, AuthVerdict, RevocableAuth } from './authenticate.js';
export type { RequireAuthOptions, TokenVerifier } from './options.js';
export { type LogoutRevoker, type LogoutScope, type RevokeOptions, revoke } from './revoke.js';

/** The part of Nest's `ExecutionContext` the guard uses. */
export interface ExecutionContextLike {
  getType?(): string;
  switchToHttp(): { getRequest(): unknown; getResponse(): unknown };
}

/** The request as Nest hands it over on Express, Fastify or `node:http`. */
export interface NestRequestLike {
  readonly headers: { readonly authorization?: string | undefined };
  auth?: RevocableAuth;
}

interface NodeResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body: string): unknown;
}

interface FastifyReplyLike {
  code(statusCode: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(payload: string): unknown;
}

function isFastifyReply(response: unknown): response is FastifyReplyLike {
  const reply = response as Partial<FastifyReplyLike> | null;
  return typeof reply?.code === 'function' && typeof reply.send === 'function';
}

function isNodeResponse(response: unknown): response is NodeResponseLike {
  const res = response as Partial<NodeResponseLike> | null;
  return typeof res?.setHeader === 'function' && typeof res.end === 'function';
}

// Nest turns a guard's `false` into a 403 exception whose filter finds the answer already sent and
// leaves it alone; answering here keeps the status, the challenge and the body the same as in every
// other framework, without Revocable depending on @nestjs/common.
function answer(response: unknown, failure: AuthFailure): void {
  const body = JSON.stringify(failure.body);
  const headers = { ...failure.headers, 'Content-Type': 'application/json; charset=utf-8' };
  if (isFastifyReply(response)) {
    response.code(failure.status).headers(headers).send(body);
  } else if (isNodeResponse(response)) {
    response.statusCode = failure.status;
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    response.end(body);
  } else {
    throw new RevocableError('ERR_CONFIG_INVALID', 'RevocableGuard cannot write to this HTTP platform.');
  }
}

/**
 * A NestJS guard that admits a request only with a valid, unrevoked bearer token holding the
 * required scopes, and puts it on `request.auth`. Refusals are answered by the guard: 401 with an
 * RFC 6750 `WWW-Authenticate` challenge and `{ error: 'ERR_…', message }`, 403 `insufficient_scope`,
 * 503 for a stale revocation state. Works on the Express and Fastify platforms. Options are checked
 * when the guard is created and throw `ERR_CONFIG_INVALID`.
 *
 * Use an instance (`@UseGuards(new RevocableGuard(options))`, or `{ provide: APP_GUARD, useValue }`),
 * or a class from {@link RevocableGuard.with} wherever Nest wants a class (`@UseGuards(Guard)`,
 * `providers`, `{ provide: APP_GUARD, useClass }`). A refusal is sent by the guard itself, and Nest's
 * exception layer then finds the response sent and leaves it alone; an app's own catch-all exception
 * filter should do the same (check `headersSent`).
 *
 * @example
 * ```ts
 * import { RevocableGuard, revoke } from '@revocable/core/nest';
 *
 * const AuthGuard = RevocableGuard.with({ verifier });
 *
 * class MeController {
 *   @Get('me') @UseGuards(AuthGuard)
 *   me(@Req() request: { auth: RevocableAuth }) { return request.auth.claims; }
 *
 *   @Post('logout') @HttpCode(204) @UseGuards(new RevocableGuard({ verifier }))
 *   async logout(@Req() request: { auth: RevocableAuth }) { await revoke(revoker, request.auth); }
 * }
 * ```
 */
export class RevocableGuard {
  readonly #authenticate: Authenticator;

  constructor(options: RequireAuthOptions) {
    this.#authenticate = createAuthenticator(options);
  }

  /**
   * A guard class with these options baked in (options checked now), for places where Nest
   * instantiates the guard itself: its constructor takes no arguments, so it needs no decorator metadata.
   *
   * @example
   * ```ts
   * const AuthGuard = RevocableGuard.with({ verifier, scopes: ['orders:read'] });
   * @Module({ providers: [{ provide: APP_GUARD, useClass: AuthGuard }] })
   * class AppModule {}
   * ```
   */
  static with(options: RequireAuthOptions): new () => RevocableGuard {
    const settings = authSettings(options);
    return class ConfiguredRevocableGuard extends RevocableGuard {
      constructor() {
        super(settings);
      }
    };
  }

  /**
   * Nest's `CanActivate`: verifies the request's bearer token; `true` with `request.auth` set, or
   * `false` after the refusal has been sent.
   *
   * @example
   * ```ts
   * const allowed = await new RevocableGuard({ verifier }).canActivate(context);
   * ```
   */
  async canActivate(context: ExecutionContextLike): Promise<boolean> {
    const type = context.getType?.() ?? 'http';
    if (type !== 'http') {
      throw new RevocableError('ERR_CONFIG_INVALID', `RevocableGuard protects HTTP routes, not ${type}.`);
    }
    const http = context.switchToHttp();
    const request = http.getRequest() as NestRequestLike;
    const verdict = await this.#authenticate(request.headers.authorization);
    if (verdict.ok) {
      request.auth = verdict.auth;
      return true;
    }
    answer(http.getResponse(), verdict);
    return false;
  }
}
