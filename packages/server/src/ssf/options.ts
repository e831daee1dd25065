import { RevocableError } from '@revocable/core';
import type { OptionSpec } from '../config-options.js';
import { invalidOption } from '../config-values.js';
import { isAuthorizationValue, isHttpUrl, type TransmitterConfig } from './transmitters-config.js';

/**
 * The Shared Signals flags of `revocable serve` (receiving from one transmitter; the file's
 * `sharedSignals` lists several; the service always transmits to the streams its clients create).
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

/** The transmitters the service receives Shared Signals from (none: receiving is off). */
export interface SharedSignalsConfig {
  readonly transmitters: readonly TransmitterConfig[];
}

/**
 * Reads the Shared Signals settings: the `--ssf-*` flags (one transmitter, id `default`) or the file's
 * `sharedSignals.transmitters` (`fromFile`, already checked), not both. Throws `ERR_CONFIG_INVALID`
 * naming the flag for a value it cannot use (never echoing the secret).
 *
 * @example
 * ```ts
 * const ssf = sharedSignalsConfigOf(get, 'api', transmittersOfFile(file?.sharedSignals, 'api'));
 * ```
 */
export function sharedSignalsConfigOf(
  get: (flag: string) => string | undefined,
  audience: string,
  fromFile: readonly TransmitterConfig[] = [],
): SharedSignalsConfig {
  const spec = (flag: string) => SHARED_SIGNALS_OPTIONS.find((o) => o.flag === flag)!;
  const url = (flag: string) => {
    const value = get(flag);
    if (value === undefined) return undefined;
    if (!isHttpUrl(value)) throw invalidOption(spec(flag), 'must be an absolute http(s) URL.');
    return value;
  };
  const transmitter = url('ssf-transmitter');
  const pollEndpoint = url('ssf-poll-endpoint');
  if (pollEndpoint !== undefined && transmitter === undefined) {
    throw invalidOption(spec('ssf-poll-endpoint'), 'needs --ssf-transmitter (whose keys verify the SETs).');
  }
  const authorization = get('ssf-authorization');
  if (authorization !== undefined && !isAuthorizationValue(authorization)) {
    throw invalidOption(spec('ssf-authorization'), 'must be a header value of at least 8 characters.');
  }
  if (transmitter === undefined) return { transmitters: fromFile };
  if (fromFile.length > 0) {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      'Invalid configuration: give sharedSignals.transmitters in the file or --ssf-transmitter (REVOCABLE_SSF_TRANSMITTER), not both.',
    );
  }
  return {
    transmitters: [
      {
        id: 'default',
        configurationUrl: transmitter,
        audience: get('ssf-audience') ?? audience,
        pollEndpoint,
        authorization,
      },
    ],
  };
}
