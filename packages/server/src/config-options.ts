import { ALGORITHMS, STALE_POLICIES, type StalePolicy } from '@revocable/core';
import { usageBlock } from './commands/usage.js';
import { SHARED_SIGNALS_OPTIONS } from './ssf/options.js';

/**
 * What an option's value is, which says how it is parsed and how `--help` shows it:
 * - `port`: a TCP port, 0 to 65535; `seconds`, `milliseconds`, `count`: a whole number in `range`,
 *   in that unit;
 * - `choice`: one of `choices`; `list`: comma-separated entries; `url`: an absolute URL;
 * - `secret`: a credential, never echoed in an error; `text`: anything, checked by its own rule;
 * - `switch`: a flag without a value (`true`, `1` or `yes` in the environment).
 */
export type OptionKind =
  | 'port'
  | 'seconds'
  | 'milliseconds'
  | 'count'
  | 'choice'
  | 'list'
  | 'url'
  | 'secret'
  | 'text'
  | 'switch';

/** One setting of `revocable serve`: its flag, its `REVOCABLE_*` variable, and what it parses. */
export interface OptionSpec {
  readonly flag: string;
  readonly env: string;
  readonly kind: OptionKind;
  readonly help: string;
  readonly fallback?: string;
  /** `port`, `seconds`, `milliseconds`, `count`: the smallest and largest value accepted. */
  readonly range?: readonly [min: number, max: number];
  /** `choice`: the values accepted. */
  readonly choices?: readonly string[];
}

/**
 * The stale policies the service's own replica can apply. `introspect` asks the issuer about a token
 * while the replica is stale; the service's replica follows the service's own log, and the only issuer
 * it could ask is itself, whose answer comes from the same database the replica is waiting for.
 */
export const SERVICE_STALE_POLICIES = STALE_POLICIES.filter(
  (policy): policy is Exclude<StalePolicy, 'introspect'> => policy !== 'introspect',
);

/** pino's levels, and `silent`. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * The settings, in the order `--help` shows them.
 *
 * @example
 * ```ts
 * const port = OPTIONS.find((o) => o.flag === 'port'); // { kind: 'port', env: 'REVOCABLE_PORT', … }
 * ```
 */
export const OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'config',
    env: 'REVOCABLE_CONFIG',
    kind: 'text',
    help: 'JSON file: trusted issuers, client permissions, any option in camelCase',
  },
  {
    flag: 'port',
    env: 'REVOCABLE_PORT',
    kind: 'port',
    help: 'TCP port to listen on',
    fallback: '3000',
    range: [0, 65535],
  },
  { flag: 'host', env: 'REVOCABLE_HOST', kind: 'text', help: 'address to bind', fallback: '127.0.0.1' },
  {
    flag: 'database',
    env: 'REVOCABLE_DATABASE',
    kind: 'text',
    help: 'SQLite file, :memory:, or postgres://user@host:5432/db',
    fallback: './revocable.db',
  },
  {
    flag: 'db-connect-timeout',
    env: 'REVOCABLE_DB_CONNECT_TIMEOUT',
    kind: 'milliseconds',
    help: 'PostgreSQL: longest wait for a connection',
    fallback: '5000',
    range: [100, 600_000],
  },
  {
    flag: 'db-statement-timeout',
    env: 'REVOCABLE_DB_STATEMENT_TIMEOUT',
    kind: 'milliseconds',
    help: 'longest database statement (PostgreSQL statement_timeout, SQLite lock wait)',
    fallback: '5000',
    range: [100, 3_600_000],
  },
  {
    flag: 'ready-timeout',
    env: 'REVOCABLE_READY_TIMEOUT',
    kind: 'milliseconds',
    help: '/readyz answers 503 when the database takes longer',
    fallback: '2000',
    range: [50, 60_000],
  },
  {
    flag: 'request-timeout',
    env: 'REVOCABLE_REQUEST_TIMEOUT',
    kind: 'milliseconds',
    help: 'longest time to receive a whole request (slow clients are dropped)',
    fallback: '10000',
    range: [100, 600_000],
  },
  {
    flag: 'connection-timeout',
    env: 'REVOCABLE_CONNECTION_TIMEOUT',
    kind: 'milliseconds',
    // Above the SSE feed's 2 s heartbeat, so an open stream is never taken for an idle connection.
    help: 'a connection silent both ways this long is closed',
    fallback: '60000',
    range: [5000, 3_600_000],
  },
  {
    flag: 'max-connections',
    env: 'REVOCABLE_MAX_CONNECTIONS',
    kind: 'count',
    help: 'most open connections; more are closed on arrival',
    fallback: '4096',
    range: [1, 1_000_000],
  },
  {
    flag: 'redis',
    env: 'REVOCABLE_REDIS',
    kind: 'url',
    help: 'redis://host:6379 to publish revocations on Redis Streams (one node; rediss:// for TLS)',
  },
  {
    flag: 'redis-key-prefix',
    env: 'REVOCABLE_REDIS_KEY_PREFIX',
    kind: 'text',
    help: 'key prefix of the revocation stream, the same on every replica',
    fallback: 'revocable',
  },
  {
    flag: 'redis-max-length',
    env: 'REVOCABLE_REDIS_MAX_LENGTH',
    kind: 'count',
    help: 'approximate cap on stream entries; a replica further behind re-bootstraps',
    fallback: '100000',
    range: [1000, 100_000_000],
  },
  {
    flag: 'issuer',
    env: 'REVOCABLE_ISSUER',
    kind: 'url',
    help: 'token "iss" and public base URL (default http://localhost:PORT)',
  },
  {
    flag: 'audience',
    env: 'REVOCABLE_AUDIENCE',
    kind: 'text',
    help: 'token "aud"',
    fallback: 'revocable-api',
  },
  {
    flag: 'alg',
    env: 'REVOCABLE_ALG',
    kind: 'choice',
    help: `signing algorithm: ${ALGORITHMS.join(', ')}`,
    fallback: 'EdDSA',
    choices: ALGORITHMS,
  },
  {
    flag: 'key-reload-interval',
    env: 'REVOCABLE_KEY_RELOAD_INTERVAL',
    kind: 'seconds',
    help: 'time between reads of the signing keys (picks up rotations made elsewhere)',
    fallback: '5',
    range: [1, 3600],
  },
  {
    flag: 'access-token-ttl',
    env: 'REVOCABLE_ACCESS_TOKEN_TTL',
    kind: 'seconds',
    help: 'access token lifetime; also how long the log keeps cutoffs and the longest token accepted',
    fallback: '600',
    range: [10, 86_400],
  },
  {
    flag: 'session-idle',
    env: 'REVOCABLE_SESSION_IDLE',
    kind: 'seconds',
    help: 'session idle timeout',
    fallback: '604800',
    range: [60, 31_536_000],
  },
  {
    flag: 'session-absolute',
    env: 'REVOCABLE_SESSION_ABSOLUTE',
    kind: 'seconds',
    help: 'session absolute lifetime',
    fallback: '2592000',
    range: [60, 31_536_000],
  },
  {
    flag: 'refresh-grace',
    env: 'REVOCABLE_REFRESH_GRACE',
    kind: 'seconds',
    help: 'refresh reuse grace window',
    fallback: '10',
    range: [0, 300],
  },
  {
    flag: 'clients',
    env: 'REVOCABLE_CLIENTS',
    kind: 'secret',
    help: 'confidential clients: id:secret,id2:secret2',
  },
  {
    flag: 'admin-token',
    env: 'REVOCABLE_ADMIN_TOKEN',
    kind: 'secret',
    help: 'admin credential (>= 32 chars) for /admin and /console',
  },
  {
    flag: 'allowlist',
    env: 'REVOCABLE_ALLOWLIST',
    kind: 'switch',
    help: 'accept only access tokens recorded at issue',
  },
  {
    flag: 'status-list',
    env: 'REVOCABLE_STATUS_LIST',
    kind: 'switch',
    help: 'access tokens carry status.status_list; the list is published at /status-lists/1',
  },
  {
    flag: 'status-list-interval',
    env: 'REVOCABLE_STATUS_LIST_INTERVAL',
    kind: 'milliseconds',
    help: 'status list: longest time from a revocation to a published list that shows it',
    fallback: '500',
    range: [100, 60_000],
  },
  {
    flag: 'status-list-ttl',
    env: 'REVOCABLE_STATUS_LIST_TTL',
    kind: 'seconds',
    help: 'status list: "ttl" and Cache-Control max-age, how long verifiers may keep a list',
    fallback: '30',
    range: [1, 3600],
  },
  {
    flag: 'status-list-size',
    env: 'REVOCABLE_STATUS_LIST_SIZE',
    kind: 'count',
    help: 'status list: entries (1 bit each); must exceed the live tokens (issued within the token ttl)',
    fallback: '1048576',
    range: [1024, 67_108_864],
  },
  {
    flag: 'max-staleness',
    env: 'REVOCABLE_MAX_STALENESS',
    kind: 'milliseconds',
    help: 'replica max staleness',
    fallback: '30000',
    range: [100, 86_400_000],
  },
  {
    flag: 'stale-policy',
    env: 'REVOCABLE_STALE_POLICY',
    kind: 'choice',
    help: `${SERVICE_STALE_POLICIES.join(' or ')} (introspect is for APIs following a remote issuer)`,
    fallback: 'fail-closed',
    choices: SERVICE_STALE_POLICIES,
  },
  {
    flag: 'allowed-origins',
    env: 'REVOCABLE_ALLOWED_ORIGINS',
    kind: 'list',
    help: 'origins allowed to refresh by cookie, comma-separated',
  },
  {
    flag: 'spa-origins',
    env: 'REVOCABLE_SPA_ORIGINS',
    kind: 'list',
    help: 'browser origins allowed to call /auth/logout(-all) with a bearer token (CORS, no cookies)',
  },
  {
    flag: 'no-registration',
    env: 'REVOCABLE_NO_REGISTRATION',
    kind: 'switch',
    help: 'disable POST /auth/register',
  },
  {
    flag: 'log-level',
    env: 'REVOCABLE_LOG_LEVEL',
    kind: 'choice',
    help: 'pino level: fatal..trace, silent',
    fallback: 'info',
    choices: LOG_LEVELS,
  },
  {
    flag: 'trust-proxy',
    env: 'REVOCABLE_TRUST_PROXY',
    kind: 'list',
    help: 'proxies whose X-Forwarded-For names the client: addresses/CIDRs, e.g. 10.0.0.0/8,loopback',
  },
  {
    flag: 'public-clients',
    env: 'REVOCABLE_PUBLIC_CLIENTS',
    kind: 'list',
    help: 'client ids a login or an unauthenticated refresh may name, comma-separated',
    fallback: 'revocable-web',
  },
  {
    flag: 'metrics-token',
    env: 'REVOCABLE_METRICS_TOKEN',
    kind: 'secret',
    help: 'bearer credential (>= 32 chars) /metrics requires (default: /metrics is open)',
  },
  ...SHARED_SIGNALS_OPTIONS,
];

/** How `--help` shows the value of each kind. */
const PLACEHOLDERS: Readonly<Record<OptionKind, string>> = {
  port: ' <port>',
  seconds: ' <seconds>',
  milliseconds: ' <ms>',
  count: ' <count>',
  choice: ' <name>',
  list: ' <list>',
  url: ' <url>',
  secret: ' <secret>',
  text: ' <value>',
  switch: '',
};

/**
 * `--help` text.
 *
 * @example
 * ```ts
 * process.stdout.write(helpText());
 * ```
 */
export function helpText(): string {
  const lines = [usageBlock(), '', 'Options of every command (each also from its environment variable):'];
  const flagWidth = Math.max(...OPTIONS.map((o) => o.flag.length + PLACEHOLDERS[o.kind].length)) + 3;
  const envWidth = Math.max(...OPTIONS.map((o) => o.env.length)) + 1;
  for (const o of OPTIONS) {
    const flag = `--${o.flag}${PLACEHOLDERS[o.kind]}`;
    lines.push(
      `  ${flag.padEnd(flagWidth)} ${o.env.padEnd(envWidth)} ${o.help}${o.fallback ? ` (default ${o.fallback})` : ''}`,
    );
  }
  lines.push(
    `  ${'(environment only)'.padEnd(flagWidth)} REVOCABLE_KEY_ENCRYPTION_KEY: 32 bytes, base64 or hex, encrypts signing keys at rest`,
    `  ${''.padEnd(flagWidth)} REVOCABLE_KEY_ENCRYPTION_KEY_PREVIOUS: former keys (comma-separated) while rotating it`,
  );
  lines.push('  --help', '');
  return lines.join('\n');
}

/**
 * The spec of `flag`. Internal: the flags are the table's own, so a miss is a programming error.
 */
export function optionSpec(flag: string): OptionSpec {
  const spec = OPTIONS.find((o) => o.flag === flag);
  if (spec === undefined) throw new Error(`No option --${flag}.`);
  return spec;
}
