import { isIP } from 'node:net';
import { RevocableError } from '@revocable/core';
import type { OptionSpec } from './config-options.js';

/**
 * `ERR_CONFIG_INVALID` about one option: the message names its flag and its environment variable and
 * says `why`, which must never hold a secret value.
 *
 * @example
 * ```ts
 * throw invalidOption(optionSpec('port'), 'must be a port number from 0 to 65535.');
 * ```
 */
export function invalidOption(spec: OptionSpec, why: string, cause?: unknown): RevocableError {
  return new RevocableError(
    'ERR_CONFIG_INVALID',
    `Invalid configuration: --${spec.flag} (${spec.env}) ${why}`,
    undefined,
    cause === undefined ? undefined : { cause },
  );
}

/** The words each numeric kind is described with. */
const UNIT = {
  port: 'a port number',
  seconds: 'a whole number of seconds',
  milliseconds: 'a whole number of milliseconds',
  count: 'a whole number',
} as const;

/**
 * A `port`, `seconds`, `milliseconds` or `count` value: a whole number within the option's range.
 *
 * @example
 * ```ts
 * const ttl = wholeNumberOf(optionSpec('access-token-ttl'), '600'); // 600
 * ```
 */
export function wholeNumberOf(spec: OptionSpec, value: string): number {
  const kind = spec.kind;
  if (!(kind === 'port' || kind === 'seconds' || kind === 'milliseconds' || kind === 'count') || !spec.range)
    throw new Error(`--${spec.flag} is not a number option.`);
  const [min, max] = spec.range;
  const n = /^\s*-?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw invalidOption(spec, `must be ${UNIT[kind]} from ${min} to ${max}.`);
  return n;
}

/**
 * A `choice` value: one of the option's choices, named in the refusal.
 *
 * @example
 * ```ts
 * const alg = choiceOf(optionSpec('alg'), 'ES256');
 * ```
 */
export function choiceOf(spec: OptionSpec, value: string): string {
  const choices = spec.choices ?? [];
  if (!choices.includes(value)) throw invalidOption(spec, `must be ${orList(choices)}.`);
  return value;
}

function orList(values: readonly string[]): string {
  return values.length <= 2 ? values.join(' or ') : `one of ${values.join(', ')}`;
}

/**
 * `--redis-key-prefix`: 1 to 64 characters that cannot break the stream key's hash tag.
 *
 * @example
 * ```ts
 * redisKeyPrefixOf(optionSpec('redis-key-prefix'), 'prod-eu');
 * ```
 */
export function redisKeyPrefixOf(spec: OptionSpec, value: string): string {
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(value))
    throw invalidOption(spec, 'must be 1 to 64 letters, digits or ._:- characters.');
  return value;
}

/** `--clients`: `id:secret` pairs. The refusal names no secret. */
export function clientsOf(
  spec: OptionSpec,
  value: string | undefined,
): Array<{ readonly id: string; readonly secret: string }> {
  return (value ?? '')
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf(':');
      const id = pair.slice(0, at);
      const secret = pair.slice(at + 1);
      if (at < 1 || secret.length < 16)
        throw invalidOption(
          spec,
          'is refused: each client must be id:secret with a secret of at least 16 characters.',
        );
      return { id, secret };
    });
}

/** A credential of at least 32 characters, or none. The refusal names no value. */
export function tokenOf(spec: OptionSpec, value: string | undefined, what: string): string | undefined {
  if (value !== undefined && value.length < 32)
    throw invalidOption(spec, `is too short: ${what} must be at least 32 characters.`);
  return value;
}

const TRUST_PROXY_FORMS =
  'name the proxies, e.g. --trust-proxy 10.0.0.5,10.1.0.0/16 or --trust-proxy loopback';

/**
 * `--trust-proxy` given without a value, or followed by another flag: the old boolean form.
 *
 * @example
 * ```ts
 * assertTrustProxyHasValue(optionSpec('trust-proxy'), process.argv.slice(2));
 * ```
 */
export function assertTrustProxyHasValue(spec: OptionSpec, argv: readonly string[]): void {
  const at = argv.indexOf('--trust-proxy');
  if (at >= 0 && (argv[at + 1] === undefined || argv[at + 1]!.startsWith('--')))
    throw invalidOption(spec, `no longer trusts every X-Forwarded-For: ${TRUST_PROXY_FORMS}.`);
}

function isAddressOrRange(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

/**
 * `--trust-proxy`: `false`, or the addresses and CIDRs of the proxies.
 *
 * @example
 * ```ts
 * trustProxyOf(optionSpec('trust-proxy'), '10.0.0.0/8,loopback'); // ['10.0.0.0/8', 'loopback']
 * ```
 */
export function trustProxyOf(spec: OptionSpec, value: string | undefined): false | string[] {
  const text = (value ?? '').trim();
  if (text === '' || text === '0' || text.toLowerCase() === 'false') return false;
  if (['true', 'yes', 'on'].includes(text.toLowerCase()))
    throw invalidOption(
      spec,
      `no longer takes "${text}" (trust-proxy trusted any X-Forwarded-For): ${TRUST_PROXY_FORMS}.`,
    );
  if (/^\d+$/.test(text))
    throw invalidOption(
      spec,
      `takes no hop count (it cannot tell a proxy from a direct client): ${TRUST_PROXY_FORMS}.`,
    );
  const entries = text.split(',').map((e) => e.trim());
  for (const entry of entries) {
    if (!isAddressOrRange(entry))
      throw invalidOption(
        spec,
        `is refused: "${entry.slice(0, 64)}" is not an IP address, a CIDR or loopback/linklocal/uniquelocal.`,
      );
  }
  return entries;
}

/** Client ids: the characters RFC 6749 allows that need no escaping anywhere. */
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

/**
 * `--public-clients`: client ids, none of them confidential or reserved.
 *
 * @example
 * ```ts
 * publicClientsOf(optionSpec('public-clients'), 'revocable-web,ios-app', []);
 * ```
 */
export function publicClientsOf(
  spec: OptionSpec,
  value: string,
  confidential: ReadonlyArray<{ id: string }>,
): string[] {
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (ids.length === 0) throw invalidOption(spec, 'must name at least one client id.');
  for (const id of ids) {
    if (!CLIENT_ID.test(id))
      throw invalidOption(
        spec,
        'is refused: each public client id must be 1 to 128 letters, digits or ._~- characters.',
      );
    // Sessions minted by POST /admin/sessions carry it; a login must not pass for such a backend.
    if (id === 'trusted-backend')
      throw invalidOption(spec, 'is refused: trusted-backend is reserved and cannot be a public client.');
    if (confidential.some((c) => c.id === id))
      throw invalidOption(
        spec,
        `is refused: client ${id} is in both --clients and --public-clients; a confidential client must authenticate.`,
      );
  }
  return ids;
}
