import { RevocableError } from '../errors.js';
import { readBodyWithin } from '../net/read-body.js';
import { STATUS_LIST_JWT_MEDIA_TYPE } from './sign-token.js';

/** How a Status List Token is fetched. */
export interface StatusListFetchOptions {
  readonly fetch: typeof globalThis.fetch;
  readonly timeoutMs: number;
  /** Largest accepted response body, bytes. */
  readonly maxBytes: number;
  /** Whether the final URL (after redirects) is one Revocable may fetch. */
  readonly fetchable: (url: URL) => boolean;
}

/** A fetched, not yet verified, Status List Token. */
export interface FetchedStatusListToken {
  readonly token: string;
  /** `Cache-Control: max-age` in seconds (0 for `no-cache`/`no-store`), when the response said. */
  readonly maxAgeSec: number | undefined;
}

function unavailable(url: URL, message: string, cause?: unknown): RevocableError {
  return new RevocableError(
    'ERR_REVOCATION_STALE',
    `The status list at ${url.origin}${url.pathname} ${message}`,
    undefined,
    cause === undefined ? {} : { cause },
  );
}

/** `max-age` of a Cache-Control header (`no-cache` and `no-store` count as 0); `undefined` without one. */
export function maxAgeOf(header: string | null): number | undefined {
  if (header === null) return undefined;
  const directives = header
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.includes('no-store') || directives.includes('no-cache')) return 0;
  for (const directive of directives) {
    const match = /^max-age=(\d{1,10})$/.exec(directive);
    if (match) return Number(match[1]);
  }
  return undefined;
}

function isStatusListJwt(contentType: string | null): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === STATUS_LIST_JWT_MEDIA_TYPE;
}

async function readText(response: Response, url: URL, maxBytes: number): Promise<string> {
  const text = await readBodyWithin(response, maxBytes, () =>
    unavailable(url, `is larger than ${maxBytes} bytes.`),
  );
  return text.trim();
}

/**
 * GETs a Status List Token with `Accept: application/statuslist+jwt` and a timeout (draft §8.1-8.2):
 * redirects are followed as the draft asks, but the final URL must still be fetchable; the answer must
 * be 2xx, `Content-Type: application/statuslist+jwt`, and at most `maxBytes`. Throws
 * `ERR_REVOCATION_STALE` saying what failed: without the list, nothing fresh is known.
 */
export async function fetchStatusListToken(
  url: URL,
  options: StatusListFetchOptions,
): Promise<FetchedStatusListToken> {
  let response: Response;
  try {
    response = await options.fetch(url, {
      headers: { accept: STATUS_LIST_JWT_MEDIA_TYPE },
      redirect: 'follow',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (cause) {
    const timedOut = cause instanceof Error && cause.name === 'TimeoutError';
    throw unavailable(url, timedOut ? 'did not answer in time.' : 'is unreachable.', cause);
  }
  try {
    if (response.url !== '' && response.url !== url.href && !options.fetchable(new URL(response.url))) {
      throw unavailable(url, 'redirected to a URL that may not be fetched.');
    }
    if (!response.ok) throw unavailable(url, `answered HTTP ${response.status}.`);
    if (!isStatusListJwt(response.headers.get('content-type'))) {
      throw unavailable(url, `did not answer with Content-Type ${STATUS_LIST_JWT_MEDIA_TYPE}.`);
    }
    const token = await readText(response, url, options.maxBytes);
    return { token, maxAgeSec: maxAgeOf(response.headers.get('cache-control')) };
  } catch (cause) {
    if (!response.bodyUsed) await response.body?.cancel().catch(() => {});
    if (cause instanceof RevocableError) throw cause;
    throw unavailable(url, 'could not be read.', cause);
  }
}
