import { RevocableError } from '../errors.js';
import { quotedValue } from '../external/discovery.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A service's base URL, checked, and whether plain `http:` is allowed for it and its documents. */
export interface ServiceUrl {
  /** The URL without a trailing slash: what the service's `--issuer` must be. */
  readonly base: string;
  /** `true` for an `http:` URL on a loopback host (a service on this machine). */
  readonly loopbackHttp: boolean;
}

function invalid(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

/**
 * Checks the URL an API connects to: absolute, `https:` (or `http:` on `localhost`, `127.0.0.1`,
 * `[::1]`), without credentials, query or fragment. Throws `ERR_CONFIG_INVALID` saying what to change.
 *
 * @example
 * ```ts
 * serviceUrlOf('http://localhost:3000/'); // { base: 'http://localhost:3000', loopbackHttp: true }
 * ```
 */
export function serviceUrlOf(value: unknown): ServiceUrl {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw invalid("connectToService needs the service's URL, e.g. 'https://auth.example'.");
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(
      `The service URL ${quotedValue(String(value))} is not an absolute URL; give the service's --issuer, e.g. 'https://auth.example'.`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw invalid('The service URL must not carry credentials: pass clientId and clientSecret instead.');
  }
  if (url.search !== '' || url.hash !== '') {
    throw invalid(`The service URL must have no query or fragment: give the service's --issuer alone.`);
  }
  const loopbackHttp = url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) {
    throw invalid(
      `The service URL ${url.origin} must be https: (http: is accepted on localhost, 127.0.0.1 and [::1] only): tokens' keys and the client secret travel over it.`,
    );
  }
  return { base: url.href.replace(/\/+$/, ''), loopbackHttp };
}
