import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import {
  type Algorithm,
  DEFAULT_REVOCATION_POLICY,
  KeyEncryption,
  type RevocationPolicy,
  type StalePolicy,
} from '@revocable/core';

/** Everything `revocable serve` can be told. Each setting has a flag and a `REVOCABLE_*` variable. */
export interface ServiceConfig {
  readonly port: number;
  readonly host: string;
  /** SQLite file path, `:memory:`, or a `postgres://` URL. */
  readonly database: string;
  /** PostgreSQL: the longest wait for a connection (new, or free in a full pool), ms. */
  readonly dbConnectTimeoutMs: number;
  /** The longest one statement may take, ms (PostgreSQL `statement_timeout`; SQLite: waiting for a lock). */
  readonly dbStatementTimeoutMs: number;
  /** How long `/readyz` waits for the database before answering 503 `database: "timeout"`, ms. */
  readonly readyTimeoutMs: number;
  /** The longest a client may take to send a whole request (headers and body), ms. */
  readonly requestTimeoutMs: number;
  /** A connection with no byte either way for this long is closed, ms (idle keep-alive ones sooner). */
  readonly connectionTimeoutMs: number;
  /** The most open connections; more are closed as they arrive. */
  readonly maxConnections: number;
  /** `redis://` URL for the Redis Streams feed; `undefined` for none. */
  readonly redis: string | undefined;
  /** Key prefix of the Redis stream (inside its hash tag); replicas must use the same one. */
  readonly redisKeyPrefix: string;
  /** Approximate cap on the stream's entries (`XADD … MAXLEN ~`); a replica further behind re-bootstraps. */
  readonly redisMaxLength: number;
  /** The `iss` of issued tokens and the base of the metadata URLs. */
  readonly issuer: string;
  readonly audience: string;
  readonly alg: Algorithm;
  /** Seconds between two reads of the signing keys: a rotation made elsewhere reaches this process within it. */
  readonly keyReloadIntervalSec: number;
  /** From `REVOCABLE_KEY_ENCRYPTION_KEY` (and `_PREVIOUS`), environment only: encrypts signing keys at rest. */
  readonly keyEncryption: KeyEncryption | undefined;
  /** `--access-token-ttl`: how long the service's access tokens live, seconds. */
  readonly accessTokenTtlSec: number;
  /**
   * The one lifetime policy, built here from `--access-token-ttl` and the fixed clock margin
   * ({@link SERVICE_CLOCK_SKEW_MS}): the log, the replica, the verifiers, the key ring, the issuer and
   * the session service all take this object.
   */
  readonly revocationPolicy: RevocationPolicy;
  readonly sessionIdleSec: number;
  readonly sessionAbsoluteSec: number;
  readonly refreshGraceSec: number;
  /** Confidential clients, `id:secret` pairs. */
  readonly clients: ReadonlyArray<{ readonly id: string; readonly secret: string }>;
  readonly adminToken: string | undefined;
  readonly allowlist: boolean;
  readonly maxStalenessMs: number;
  readonly stalePolicy: StalePolicy;
  /** Origins allowed to use the refresh cookie (CSRF check); defaults to the issuer's origin. */
  readonly allowedOrigins: readonly string[];
  readonly registration: boolean;
  readonly logLevel: string;
  /** Which peers may name the client in `X-Forwarded-For`; `false` (the default) trusts none. */
  readonly trustProxy: TrustProxy;
  /** Client ids a login or an unauthenticated refresh may name; default `['revocable-web']`. */
  readonly publicClients: readonly string[];
  /** Bearer credential `/metrics` requires; `undefined`: `/metrics` is open (the default). */
  readonly metricsToken: string | undefined;
}

/** The clock margin of the service's revocation policy: rules are kept this long past their last match. */
export const SERVICE_CLOCK_SKEW_MS = DEFAULT_REVOCATION_POLICY.clockSkewMs;

/**
 * `--trust-proxy`: `false` (no proxy: the peer is the client) or the addresses and CIDRs of the proxies
 * (`loopback`, `linklocal` and `uniquelocal` name the usual ranges). The client is the rightmost
 * `X-Forwarded-For` entry that is not a trusted proxy, and only when the peer itself is one. No hop
 * count: it cannot tell a proxy from a client that connects directly (Fastify ignores hop counts too).
 */
export type TrustProxy = false | readonly string[];

interface OptionSpec {
  readonly flag: string;
  readonly env: string;
  readonly kind: 'string' | 'boolean';
  readonly help: string;
  readonly fallback?: string;
}

/** The settings, in the order `--help` shows them. */
export const OPTIONS: readonly OptionSpec[] = [
  { flag: 'port', env: 'REVOCABLE_PORT', kind: 'string', help: 'TCP port to listen on', fallback: '3000' },
  { flag: 'host', env: 'REVOCABLE_HOST', kind: 'string', help: 'address to bind', fallback: '127.0.0.1' },
  {
    flag: 'database',
    env: 'REVOCABLE_DATABASE',
    kind: 'string',
    help: 'SQLite file, :memory:, or postgres://user@host:5432/db',
    fallback: './revocable.db',
  },
  {
    flag: 'db-connect-timeout',
    env: 'REVOCABLE_DB_CONNECT_TIMEOUT',
    kind: 'string',
    help: 'PostgreSQL: longest wait for a connection, ms',
    fallback: '5000',
  },
  {
    flag: 'db-statement-timeout',
    env: 'REVOCABLE_DB_STATEMENT_TIMEOUT',
    kind: 'string',
    help: 'longest database statement (PostgreSQL statement_timeout, SQLite lock wait), ms',
    fallback: '5000',
  },
  {
    flag: 'ready-timeout',
    env: 'REVOCABLE_READY_TIMEOUT',
    kind: 'string',
    help: '/readyz answers 503 when the database takes longer, ms',
    fallback: '2000',
  },
  {
    flag: 'request-timeout',
    env: 'REVOCABLE_REQUEST_TIMEOUT',
    kind: 'string',
    help: 'longest time to receive a whole request (slow clients are dropped), ms',
    fallback: '10000',
  },
  {
    flag: 'connection-timeout',
    env: 'REVOCABLE_CONNECTION_TIMEOUT',
    kind: 'string',
    help: 'a connection silent both ways this long is closed, ms',
    fallback: '60000',
  },
  {
    flag: 'max-connections',
    env: 'REVOCABLE_MAX_CONNECTIONS',
    kind: 'string',
    help: 'most open connections; more are closed on arrival',
    fallback: '4096',
  },
  {
    flag: 'redis',
    env: 'REVOCABLE_REDIS',
    kind: 'string',
    help: 'redis://host:6379 to publish revocations on Redis Streams (one node; rediss:// for TLS)',
  },
  {
    flag: 'redis-key-prefix',
    env: 'REVOCABLE_REDIS_KEY_PREFIX',
    kind: 'string',
    help: 'key prefix of the revocation stream, the same on every replica',
    fallback: 'revocable',
  },
  {
    flag: 'redis-max-length',
    env: 'REVOCABLE_REDIS_MAX_LENGTH',
    kind: 'string',
    help: 'approximate cap on stream entries; a replica further behind re-bootstraps',
    fallback: '100000',
  },
  {
    flag: 'issuer',
    env: 'REVOCABLE_ISSUER',
    kind: 'string',
    help: 'token "iss" and public base URL (default http://localhost:PORT)',
  },
  {
    flag: 'audience',
    env: 'REVOCABLE_AUDIENCE',
    kind: 'string',
    help: 'token "aud"',
    fallback: 'revocable-api',
  },
  {
    flag: 'alg',
    env: 'REVOCABLE_ALG',
    kind: 'string',
    help: 'signing algorithm: EdDSA, ES256, RS256 or HS256',
    fallback: 'EdDSA',
  },
  {
    flag: 'key-reload-interval',
    env: 'REVOCABLE_KEY_RELOAD_INTERVAL',
    kind: 'string',
    help: 'seconds between reads of the signing keys (picks up rotations made elsewhere)',
    fallback: '5',
  },
  {
    flag: 'access-token-ttl',
    env: 'REVOCABLE_ACCESS_TOKEN_TTL',
    kind: 'string',
    help: 'access token lifetime, seconds',
    fallback: '600',
  },
  {
    flag: 'session-idle',
    env: 'REVOCABLE_SESSION_IDLE',
    kind: 'string',
    help: 'session idle timeout, seconds',
    fallback: '604800',
  },
  {
    flag: 'session-absolute',
    env: 'REVOCABLE_SESSION_ABSOLUTE',
    kind: 'string',
    help: 'session absolute lifetime, seconds',
    fallback: '2592000',
  },
  {
    flag: 'refresh-grace',
    env: 'REVOCABLE_REFRESH_GRACE',
    kind: 'string',
    help: 'refresh reuse grace window, seconds',
    fallback: '10',
  },
  {
    flag: 'clients',
    env: 'REVOCABLE_CLIENTS',
    kind: 'string',
    help: 'confidential clients: id:secret,id2:secret2',
  },
  {
    flag: 'admin-token',
    env: 'REVOCABLE_ADMIN_TOKEN',
    kind: 'string',
    help: 'admin credential (>= 32 chars) for /admin and /console',
  },
  {
    flag: 'allowlist',
    env: 'REVOCABLE_ALLOWLIST',
    kind: 'boolean',
    help: 'accept only access tokens recorded at issue',
  },
  {
    flag: 'max-staleness',
    env: 'REVOCABLE_MAX_STALENESS',
    kind: 'string',
    help: 'replica max staleness, ms',
    fallback: '30000',
  },
  {
    flag: 'stale-policy',
    env: 'REVOCABLE_STALE_POLICY',
    kind: 'string',
    help: 'fail-closed, fail-open or introspect',
    fallback: 'fail-closed',
  },
  {
    flag: 'allowed-origins',
    env: 'REVOCABLE_ALLOWED_ORIGINS',
    kind: 'string',
    help: 'origins allowed to refresh by cookie, comma-separated',
  },
  {
    flag: 'no-registration',
    env: 'REVOCABLE_NO_REGISTRATION',
    kind: 'boolean',
    help: 'disable POST /auth/register',
  },
  {
    flag: 'log-level',
    env: 'REVOCABLE_LOG_LEVEL',
    kind: 'string',
    help: 'pino level: fatal..trace, silent',
    fallback: 'info',
  },
  {
    flag: 'trust-proxy',
    env: 'REVOCABLE_TRUST_PROXY',
    kind: 'string',
    help: 'proxies whose X-Forwarded-For names the client: addresses/CIDRs, e.g. 10.0.0.0/8,loopback',
  },
  {
    flag: 'public-clients',
    env: 'REVOCABLE_PUBLIC_CLIENTS',
    kind: 'string',
    help: 'client ids a login or an unauthenticated refresh may name, comma-separated',
    fallback: 'revocable-web',
  },
  {
    flag: 'metrics-token',
    env: 'REVOCABLE_METRICS_TOKEN',
    kind: 'string',
    help: 'bearer credential (>= 32 chars) /metrics requires (default: /metrics is open)',
  },
];

/** `--help` text. */
export function helpText(): string {
  const lines = [
    'Usage: revocable serve [options]',
    '       revocable client add <id> [--secret S] [--database D]',
    '       revocable keys rotate [--database D]',
    '       revocable keys rewrap [--database D]',
    '',
    'Options (each also from its environment variable):',
  ];
  for (const o of OPTIONS) {
    const flag = `--${o.flag}${o.kind === 'string' ? ' <value>' : ''}`;
    lines.push(
      `  ${flag.padEnd(28)} ${o.env.padEnd(28)} ${o.help}${o.fallback ? ` (default ${o.fallback})` : ''}`,
    );
  }
  lines.push(
    '  (environment only)           REVOCABLE_KEY_ENCRYPTION_KEY 32 bytes, base64 or hex: encrypts signing keys at rest',
    '                               REVOCABLE_KEY_ENCRYPTION_KEY_PREVIOUS former keys (comma-separated) while rotating it',
  );
  lines.push('  --help', '');
  return lines.join('\n');
}

/** The issuer's origin; for a `localhost` issuer also the same port on 127.0.0.1 and [::1]. */
function defaultOrigins(issuer: URL): string[] {
  if (issuer.hostname !== 'localhost') return [issuer.origin];
  const port = issuer.port ? `:${issuer.port}` : '';
  return [issuer.origin, `${issuer.protocol}//127.0.0.1${port}`, `${issuer.protocol}//[::1]${port}`];
}

function fail(message: string): never {
  throw new Error(`Invalid configuration: ${message}`);
}

function wholeNumber(value: string, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max)
    fail(`${name} must be a whole number from ${min} to ${max}.`);
  return n;
}

const seconds = wholeNumber;

function redisKeyPrefix(value: string): string {
  if (!/^[A-Za-z0-9._:-]{1,64}$/.test(value))
    fail('redis-key-prefix must be 1 to 64 letters, digits or ._:- characters.');
  return value;
}

const TRUST_PROXY_FORMS =
  'name the proxies, e.g. --trust-proxy 10.0.0.5,10.1.0.0/16 or --trust-proxy loopback';

/** `--trust-proxy` given without a value, or followed by another flag: the old boolean form. */
function assertTrustProxyHasValue(argv: readonly string[]): void {
  const at = argv.indexOf('--trust-proxy');
  if (at >= 0 && (argv[at + 1] === undefined || argv[at + 1]!.startsWith('--')))
    fail(`--trust-proxy no longer trusts every X-Forwarded-For: ${TRUST_PROXY_FORMS}.`);
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

function trustProxy(value: string | undefined): TrustProxy {
  const text = (value ?? '').trim();
  if (text === '' || text === '0' || text.toLowerCase() === 'false') return false;
  if (['true', 'yes', 'on'].includes(text.toLowerCase()))
    fail(`trust-proxy no longer takes "${text}" (it trusted any X-Forwarded-For): ${TRUST_PROXY_FORMS}.`);
  if (/^\d+$/.test(text))
    fail(
      `trust-proxy takes no hop count (it cannot tell a proxy from a direct client): ${TRUST_PROXY_FORMS}.`,
    );
  const entries = text.split(',').map((e) => e.trim());
  for (const entry of entries) {
    if (!isAddressOrRange(entry))
      fail(
        `trust-proxy: "${entry.slice(0, 64)}" is not an IP address, a CIDR or loopback/linklocal/uniquelocal.`,
      );
  }
  return entries;
}

/** Client ids: the characters RFC 6749 allows that need no escaping anywhere. */
const CLIENT_ID = /^[A-Za-z0-9._~-]{1,128}$/;

function publicClients(value: string, confidential: ReadonlyArray<{ id: string }>): string[] {
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (ids.length === 0) fail('public-clients must name at least one client id.');
  for (const id of ids) {
    if (!CLIENT_ID.test(id))
      fail('each public client id must be 1 to 128 letters, digits or ._~- characters.');
    // Sessions minted by POST /admin/sessions carry it; a login must not pass for such a backend.
    if (id === 'trusted-backend') fail('trusted-backend is reserved and cannot be a public client.');
    if (confidential.some((c) => c.id === id))
      fail(
        `client ${id} is in both --clients and --public-clients; a confidential client must authenticate.`,
      );
  }
  return ids;
}

/**
 * Reads the configuration from flags, then environment variables, then defaults. Throws with a clear
 * message (never echoing a secret) when a value is invalid.
 *
 * @example
 * ```ts
 * const config = loadConfig(['--port', '8080'], process.env);
 * ```
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServiceConfig {
  assertTrustProxyHasValue(argv);
  const { values } = parseArgs({
    args: [...argv],
    options: Object.fromEntries(OPTIONS.map((o) => [o.flag, { type: o.kind }])),
    strict: true,
    allowPositionals: true,
  });
  const get = (flag: string): string | undefined => {
    const spec = OPTIONS.find((o) => o.flag === flag)!;
    const fromFlag = values[flag];
    if (fromFlag !== undefined) return String(fromFlag);
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    return spec.fallback;
  };
  const flagOn = (flag: string) => ['true', '1', 'yes'].includes((get(flag) ?? '').toLowerCase());

  const port = seconds(get('port')!, 'port', 0, 65535);
  const issuer = get('issuer') ?? `http://localhost:${port}`;
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    fail('issuer must be an absolute URL.');
  }
  const alg = get('alg')!;
  if (!['EdDSA', 'ES256', 'RS256', 'HS256'].includes(alg)) fail('alg must be EdDSA, ES256, RS256 or HS256.');
  const stalePolicy = get('stale-policy')!;
  if (!['fail-closed', 'fail-open', 'introspect'].includes(stalePolicy))
    fail('stale-policy is not a known policy.');
  const clients = (get('clients') ?? '')
    .split(',')
    .map((pair) => pair.trim())
    .filter(Boolean)
    .map((pair) => {
      const at = pair.indexOf(':');
      const id = pair.slice(0, at);
      const secret = pair.slice(at + 1);
      if (at < 1 || secret.length < 16)
        fail('each client must be id:secret with a secret of at least 16 characters.');
      return { id, secret };
    });
  const adminToken = get('admin-token');
  if (adminToken !== undefined && adminToken.length < 32)
    fail('the admin token must be at least 32 characters.');
  const ttl = seconds(get('access-token-ttl')!, 'access-token-ttl', 10, 86_400);
  const idle = seconds(get('session-idle')!, 'session-idle', 60, 31_536_000);
  const absolute = seconds(get('session-absolute')!, 'session-absolute', 60, 31_536_000);
  if (absolute < idle) fail('session-absolute must be at least session-idle.');
  const metricsToken = get('metrics-token');
  if (metricsToken !== undefined && metricsToken.length < 32)
    fail('the metrics token must be at least 32 characters.');
  return {
    port,
    host: get('host')!,
    database: get('database')!,
    dbConnectTimeoutMs: wholeNumber(get('db-connect-timeout')!, 'db-connect-timeout', 100, 600_000),
    dbStatementTimeoutMs: wholeNumber(get('db-statement-timeout')!, 'db-statement-timeout', 100, 3_600_000),
    readyTimeoutMs: wholeNumber(get('ready-timeout')!, 'ready-timeout', 50, 60_000),
    requestTimeoutMs: wholeNumber(get('request-timeout')!, 'request-timeout', 100, 600_000),
    // Above the SSE feed's 2 s heartbeat, so an open stream is never taken for an idle connection.
    connectionTimeoutMs: wholeNumber(get('connection-timeout')!, 'connection-timeout', 5000, 3_600_000),
    maxConnections: wholeNumber(get('max-connections')!, 'max-connections', 1, 1_000_000),
    redis: get('redis'),
    redisKeyPrefix: redisKeyPrefix(get('redis-key-prefix')!),
    redisMaxLength: wholeNumber(get('redis-max-length')!, 'redis-max-length', 1000, 100_000_000),
    issuer: issuer.replace(/\/$/, ''),
    audience: get('audience')!,
    alg: alg as Algorithm,
    keyReloadIntervalSec: seconds(get('key-reload-interval')!, 'key-reload-interval', 1, 3600),
    keyEncryption: KeyEncryption.fromEnvironment(env),
    accessTokenTtlSec: ttl,
    revocationPolicy: Object.freeze({ maxTokenLifetimeMs: ttl * 1000, clockSkewMs: SERVICE_CLOCK_SKEW_MS }),
    sessionIdleSec: idle,
    sessionAbsoluteSec: absolute,
    refreshGraceSec: seconds(get('refresh-grace')!, 'refresh-grace', 0, 300),
    clients,
    adminToken,
    allowlist: flagOn('allowlist'),
    maxStalenessMs: seconds(get('max-staleness')!, 'max-staleness', 100, 86_400_000),
    stalePolicy: stalePolicy as StalePolicy,
    allowedOrigins: (get('allowed-origins') ?? defaultOrigins(issuerUrl).join(','))
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    registration: !flagOn('no-registration'),
    logLevel: get('log-level')!,
    trustProxy: trustProxy(get('trust-proxy')),
    publicClients: publicClients(get('public-clients')!, clients),
    metricsToken,
  };
}
