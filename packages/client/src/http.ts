import { RevocableClientError } from './errors.js';
import { type ServerErrorCode, serverErrorCode } from './server-codes.js';
import type { Grant } from './tab-channel.js';

/**
 * The `error` code and `message` of a Revocable JSON error body; without one, the code that an RFC 6750
 * challenge carries in `error_description` (Revocable's middleware puts it first there). Only codes the
 * service documents are returned as a code; any other answer keeps just its message.
 */
export async function problemOf(response: Response): Promise<{ code?: ServerErrorCode; message?: string }> {
  try {
    const body = (await response.clone().json()) as { error?: unknown; message?: unknown };
    if (typeof body.error === 'string' && body.error.startsWith('ERR_')) {
      const code = serverErrorCode(body);
      return {
        ...(code !== undefined && { code }),
        ...(typeof body.message === 'string' && { message: body.message }),
      };
    }
  } catch {
    /* not JSON */
  }
  const described = /error_description="(ERR_[A-Z_]+)/.exec(
    response.headers.get('www-authenticate') ?? '',
  )?.[1];
  const code = serverErrorCode({ error: described });
  return code === undefined ? {} : { code };
}

/** The grant of a login or refresh answer (`access_token`, `expires_in`, `session_id`). */
export async function grantOf(response: Response, now: number): Promise<Grant> {
  const body = (await response.json().catch(() => null)) as {
    access_token?: unknown;
    expires_in?: unknown;
    session_id?: unknown;
  } | null;
  if (typeof body?.access_token !== 'string' || typeof body.expires_in !== 'number') {
    throw new RevocableClientError('ERR_REQUEST_FAILED', 'The service answered without an access token.', {
      status: response.status,
    });
  }
  return {
    token: body.access_token,
    issuedAt: now,
    expiresAt: now + body.expires_in * 1000,
    sessionId: typeof body.session_id === 'string' ? body.session_id : null,
  };
}

/** Sends a request with the access token as a Bearer credential (RFC 6750). */
export function withBearer(request: Request, token: string): Request {
  const headers = new Headers(request.headers);
  headers.set('Authorization', `Bearer ${token}`);
  return new Request(request, { headers });
}
