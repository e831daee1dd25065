import { SET_MEDIA_TYPE } from './event-types.js';

/** How one push went. */
export type PushResult =
  | { readonly delivered: true }
  /**
   * Not delivered: `status` the receiver's answer (`undefined` when it did not answer), `err` and
   * `description` its RFC 8935 error when it gave one, `retry` whether delivering again may succeed
   * (no answer, 429 or 5xx).
   */
  | {
      readonly delivered: false;
      readonly status: number | undefined;
      readonly err: string | undefined;
      readonly description: string | undefined;
      readonly retry: boolean;
    };

/** Options of {@link pushSecurityEvent}. */
export interface PushOptions {
  /** The stream's `delivery.authorization_header`, sent as `Authorization`. */
  readonly authorization?: string | undefined;
  /** Default 5,000 ms. */
  readonly timeoutMs?: number;
  readonly fetch?: typeof globalThis.fetch;
}

const MAX_ERROR_BYTES = 4096;

/**
 * Delivers one SET to a receiver by RFC 8935 push: `POST` with `Content-Type: application/secevent+jwt`,
 * success on 202 (or any 2xx), the receiver's `{"err", "description"}` read back on 400. Never throws:
 * every failure is a result. Redirects are not followed.
 *
 * @example
 * ```ts
 * const result = await pushSecurityEvent('https://rp.example/ssf/push', set, { authorization: 'Bearer …' });
 * if (!result.delivered && result.retry) schedule(set);
 * ```
 */
export async function pushSecurityEvent(
  endpoint: string,
  set: string,
  options: PushOptions = {},
): Promise<PushResult> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await fetchImpl(endpoint, {
      method: 'POST',
      headers: {
        'content-type': SET_MEDIA_TYPE,
        accept: 'application/json',
        ...(options.authorization !== undefined && { authorization: options.authorization }),
      },
      body: set,
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? 5_000),
    });
  } catch {
    return { delivered: false, status: undefined, err: undefined, description: undefined, retry: true };
  }
  if (response.status >= 200 && response.status < 300) {
    await response.body?.cancel().catch(() => {});
    return { delivered: true };
  }
  let err: string | undefined;
  let description: string | undefined;
  try {
    const text = (await response.text()).slice(0, MAX_ERROR_BYTES);
    const body = JSON.parse(text) as { err?: unknown; description?: unknown };
    if (typeof body.err === 'string') err = body.err.slice(0, 64);
    if (typeof body.description === 'string') description = body.description.slice(0, 300);
  } catch {
    // not JSON: the status says enough
  }
  const retry = response.status === 429 || response.status >= 500;
  return { delivered: false, status: response.status, err, description, retry };
}
