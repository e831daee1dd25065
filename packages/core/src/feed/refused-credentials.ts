import { RevocableError } from '../errors.js';

/** A client id as a shell word: plain when it is one, single-quoted otherwise. */
function shellWord(id: string): string {
  return /^[\w.@:-]+$/.test(id) ? id : `'${id.replaceAll("'", "'\\''")}'`;
}

/**
 * The error for a service that refused an API's client credentials (HTTP 401 or 403): a configuration
 * mistake with a known fix, so `ERR_CONFIG_INVALID` (never `ERR_LOG_UNAVAILABLE`, which means "try
 * again later"). Names the client, the request and the fix; never the secret.
 *
 * @example
 * ```ts
 * if (response.status === 401) throw refusedCredentials('GET', url, 401, clientId);
 * ```
 */
export function refusedCredentials(
  method: string,
  url: string,
  status: number,
  clientId: string,
): RevocableError {
  const id = clientId.slice(0, 128);
  return new RevocableError(
    'ERR_CONFIG_INVALID',
    `The service refused the client credentials of ${JSON.stringify(id)}: ${method} ${url} answered ${status}. The secret is wrong, or the service has no client of that id. Register the API with \`npx revocable client add ${shellWord(id)}\` (run where the service's database is; \`--force\` replaces the secret of an existing client) and pass the secret it prints, once, as clientSecret; for a client listed in the service's --clients (REVOCABLE_CLIENTS), pass the secret given there.`,
  );
}
