import { RevocableError } from '@revocable/core';

/** One transmitter the service receives Shared Signals from. */
export interface TransmitterConfig {
  /** Names it in logs and in its push URL, `POST /ssf/push/{id}` (`default` for the `--ssf-*` flags). */
  readonly id: string;
  /** Its `/.well-known/ssf-configuration` URL. */
  readonly configurationUrl: string;
  /** This service's audience at that transmitter (the stream's `aud`). */
  readonly audience: string;
  /** The stream's RFC 8936 poll URL, to poll it; `undefined`: receive pushes. */
  readonly pollEndpoint: string | undefined;
  /** Push: the `Authorization` header the transmitter must send; poll: the header sent. A secret. */
  readonly authorization: string | undefined;
}

const ID = /^[A-Za-z0-9._~-]{1,64}$/;
const MAX_TRANSMITTERS = 20;

function invalid(where: string, why: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', `Invalid configuration file: ${where} ${why}`);
}

function objectAt(value: unknown, where: string, fields: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(where, `must be an object { ${fields.join(', ')} }.`);
  }
  const unknown = Object.keys(value).find((key) => !fields.includes(key));
  if (unknown !== undefined) throw invalid(`${where}.${unknown.slice(0, 64)}`, 'is not a known field.');
  return value as Record<string, unknown>;
}

/**
 * Whether `value` is an absolute http(s) URL.
 *
 * @example
 * ```ts
 * if (!isHttpUrl(value)) throw invalid('url', 'must be an absolute http(s) URL.');
 * ```
 */
export function isHttpUrl(value: unknown): value is string {
  return typeof value === 'string' && URL.canParse(value) && /^https?:$/.test(new URL(value).protocol);
}

/**
 * Whether `value` can be sent or required as an `Authorization` header: 8 to 4,096 characters, no line
 * break.
 *
 * @example
 * ```ts
 * if (!isAuthorizationValue(secret)) throw invalid('authorization', 'must be a header value.');
 * ```
 */
export function isAuthorizationValue(value: unknown): value is string {
  return typeof value === 'string' && value.length >= 8 && value.length <= 4096 && !/[\r\n]/.test(value);
}

/**
 * Reads the configuration file's `sharedSignals` member: `{ "transmitters": [{ "id",
 * "configurationUrl", "audience"?, "poll"?: { "endpoint" }, "authorization"? }] }`. `audience`
 * defaults to `defaultAudience`. Throws `ERR_CONFIG_INVALID` naming the field (`sharedSignals.
 * transmitters[1].poll.endpoint`), never echoing a value.
 *
 * @example
 * ```ts
 * const transmitters = transmittersOfFile(file.sharedSignals, config.audience);
 * ```
 */
export function transmittersOfFile(value: unknown, defaultAudience: string): TransmitterConfig[] {
  if (value === undefined) return [];
  const root = objectAt(value, 'sharedSignals', ['transmitters']);
  const list = root['transmitters'] ?? [];
  if (!Array.isArray(list) || list.length > MAX_TRANSMITTERS) {
    throw invalid(
      'sharedSignals.transmitters',
      `must be an array of at most ${MAX_TRANSMITTERS} transmitters.`,
    );
  }
  const ids = new Set<string>();
  return list.map((entry, index) => {
    const where = `sharedSignals.transmitters[${index}]`;
    const fields = objectAt(entry, where, ['id', 'configurationUrl', 'audience', 'poll', 'authorization']);
    const { id, configurationUrl, audience, poll, authorization } = fields;
    if (typeof id !== 'string' || !ID.test(id)) {
      throw invalid(`${where}.id`, 'must be 1 to 64 letters, digits or ._~- characters.');
    }
    if (ids.has(id)) throw invalid(`${where}.id`, 'is listed twice.');
    ids.add(id);
    if (!isHttpUrl(configurationUrl)) {
      throw invalid(
        `${where}.configurationUrl`,
        "must be an absolute http(s) URL (the transmitter's ssf-configuration).",
      );
    }
    if (audience !== undefined && (typeof audience !== 'string' || audience.length === 0)) {
      throw invalid(`${where}.audience`, 'must be a non-empty string.');
    }
    let pollEndpoint: string | undefined;
    if (poll !== undefined) {
      const { endpoint } = objectAt(poll, `${where}.poll`, ['endpoint']);
      if (!isHttpUrl(endpoint)) throw invalid(`${where}.poll.endpoint`, 'must be an absolute http(s) URL.');
      pollEndpoint = endpoint;
    }
    if (authorization !== undefined && !isAuthorizationValue(authorization)) {
      throw invalid(
        `${where}.authorization`,
        'must be a header value of 8 to 4096 characters, without line breaks.',
      );
    }
    return {
      id,
      configurationUrl,
      audience: audience ?? defaultAudience,
      pollEndpoint,
      authorization,
    };
  });
}
