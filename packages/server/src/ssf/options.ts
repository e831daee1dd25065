import type { OptionSpec } from '../config-options.js';
import { invalidOption } from '../config-values.js';

/**
 * The Shared Signals settings of `revocable serve` (receiving from one transmitter; the service always
 * transmits to the streams its clients create).
 *
 * @example
 * ```ts
 * const flags = SHARED_SIGNALS_OPTIONS.map((o) => `--${o.flag}`);
 * ```
 */
export const SHARED_SIGNALS_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'ssf-transmitter',
    env: 'REVOCABLE_SSF_TRANSMITTER',
    kind: 'url',
    help: "a Shared Signals transmitter's /.well-known/ssf-configuration URL to receive CAEP events from",
  },
  {
    flag: 'ssf-audience',
    env: 'REVOCABLE_SSF_AUDIENCE',
    kind: 'text',
    help: "this service's audience at that transmitter (the stream's aud; default: --audience)",
  },
  {
    flag: 'ssf-poll-endpoint',
    env: 'REVOCABLE_SSF_POLL_ENDPOINT',
    kind: 'url',
    help: "the stream's RFC 8936 poll URL, to poll instead of (or as well as) receiving pushes",
  },
  {
    flag: 'ssf-authorization',
    env: 'REVOCABLE_SSF_AUTHORIZATION',
    kind: 'secret',
    help: 'Authorization header value sent with each poll, and required on each push when set',
  },
];

/** What the service is told about the one transmitter it receives from. */
export interface SharedSignalsConfig {
  /** The transmitter's `ssf-configuration` URL; `undefined`: receiving is off. */
  readonly transmitter: string | undefined;
  readonly audience: string;
  readonly pollEndpoint: string | undefined;
  readonly authorization: string | undefined;
}

/**
 * Reads the Shared Signals settings, given how the configuration reads one flag. Throws
 * `ERR_CONFIG_INVALID` naming the flag for a value it cannot use (never echoing the secret).
 *
 * @example
 * ```ts
 * const ssf = sharedSignalsConfigOf(get, 'api');
 * ```
 */
export function sharedSignalsConfigOf(
  get: (flag: string) => string | undefined,
  audience: string,
): SharedSignalsConfig {
  const spec = (flag: string) => SHARED_SIGNALS_OPTIONS.find((o) => o.flag === flag)!;
  const url = (flag: string) => {
    const value = get(flag);
    if (value === undefined) return undefined;
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
      throw invalidOption(spec(flag), 'must be an absolute http(s) URL.');
    }
    return value;
  };
  const transmitter = url('ssf-transmitter');
  const pollEndpoint = url('ssf-poll-endpoint');
  if (pollEndpoint !== undefined && transmitter === undefined) {
    throw invalidOption(spec('ssf-poll-endpoint'), 'needs --ssf-transmitter (whose keys verify the SETs).');
  }
  const authorization = get('ssf-authorization');
  if (authorization !== undefined && (authorization.length < 8 || /[\r\n]/.test(authorization))) {
    throw invalidOption(spec('ssf-authorization'), 'must be a header value of at least 8 characters.');
  }
  return { transmitter, audience: get('ssf-audience') ?? audience, pollEndpoint, authorization };
}
