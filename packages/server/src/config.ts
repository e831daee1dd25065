import { parseArgs } from 'node:util';
import {
  type Algorithm,
  DEFAULT_REVOCATION_POLICY,
  KeyEncryption,
  parseTrustedIssuers,
  policyWithIssuers,
  RevocableError,
  type RevocationPolicy,
  type StalePolicy,
  type TrustedIssuerConfig,
} from '@revocable/core';
import { type ClientPermissions, permissionsOf } from './auth/client-permissions.js';
import { type ConfigFile, readConfigFile } from './config-file.js';
import { OPTIONS, optionSpec } from './config-options.js';
import {
  assertTrustProxyHasValue,
  choiceOf,
  clientsOf,
  invalidOption,
  publicClientsOf,
  redisKeyPrefixOf,
  tokenOf,
  trustProxyOf,
  wholeNumberOf,
} from './config-values.js';
import { type SharedSignalsConfig, sharedSignalsConfigOf } from './ssf/options.js';
import { transmittersOfFile } from './ssf/transmitters-config.js';

export { helpText, OPTIONS, type OptionKind, type OptionSpec } from './config-options.js';

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
  /** `introspect` is refused: the service's own replica has no issuer to ask but the service itself. */
  readonly stalePolicy: Exclude<StalePolicy, 'introspect'>;
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
  /** External issuers whose tokens the service verifies, introspects and revokes (`trustedIssuers` of `--config`). */
  readonly trustedIssuers: readonly TrustedIssuerConfig[];
  /** Grants of configured clients that the file gives; any other client has the default grants. */
  readonly clientPermissions: ReadonlyMap<string, ClientPermissions>;
  /** Browser origins allowed to call `/auth/logout` and `/auth/logout-all` with a bearer token (CORS). */
  readonly spaOrigins: readonly string[];
  /** `--ssf-*`: the Shared Signals transmitter this service receives CAEP events from. */
  readonly sharedSignals: SharedSignalsConfig;
  /** `--status-list` and its settings: Token Status Lists (draft-ietf-oauth-status-list). */
  readonly statusList: StatusListSettings;
}

/** `--status-list*`: whether access tokens carry `status.status_list`, and how the list is published. */
export interface StatusListSettings {
  readonly enabled: boolean;
  /** Time between two publications of a changed list, ms. */
  readonly intervalMs: number;
  /** The list token's `ttl` and `Cache-Control: max-age`, seconds. */
  readonly ttlSec: number;
  /** Entries in the list: the most live tokens it can hold. */
  readonly size: number;
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

/** The issuer's origin; for a `localhost` issuer also the same port on 127.0.0.1 and [::1]. */
function defaultOrigins(issuer: URL): string[] {
  if (issuer.hostname !== 'localhost') return [issuer.origin];
  const port = issuer.port ? `:${issuer.port}` : '';
  return [issuer.origin, `${issuer.protocol}//127.0.0.1${port}`, `${issuer.protocol}//[::1]${port}`];
}

/** The flags as `parseArgs` reads them; its own errors (unknown flag, missing value) get our code. */
function parsedFlags(argv: readonly string[]): Record<string, string | boolean | undefined> {
  try {
    return parseArgs({
      args: [...argv],
      options: Object.fromEntries(
        OPTIONS.map((o) => [o.flag, { type: o.kind === 'switch' ? 'boolean' : 'string' }] as const),
      ),
      strict: true,
      allowPositionals: true,
    }).values as Record<string, string | boolean | undefined>;
  } catch (cause) {
    // Node names the flag, never its value; the hint about positionals is dropped.
    const [first] = String((cause as Error).message).split('. To specify');
    throw new RevocableError('ERR_CONFIG_INVALID', `Invalid configuration: ${first}.`, undefined, { cause });
  }
}

/** --stale-policy: a policy the service's own replica can apply; `introspect` is refused, with why. */
function stalePolicyOf(value: string): Exclude<StalePolicy, 'introspect'> {
  const spec = optionSpec('stale-policy');
  if (value === 'introspect') {
    throw invalidOption(
      spec,
      "cannot be introspect for the service: its replica follows the service's own log, and the only issuer it could ask is itself, which answers from the same database. Use fail-closed or fail-open (introspect is for APIs whose replica follows a remote issuer).",
    );
  }
  return choiceOf(spec, value) as Exclude<StalePolicy, 'introspect'>;
}

/**
 * Reads the configuration from flags, then environment variables, then defaults. Throws a
 * `RevocableError` with `ERR_CONFIG_INVALID` whose message names the flag and its environment variable
 * (never echoing a secret) when a value is invalid.
 *
 * @example
 * ```ts
 * const config = loadConfig(['--port', '8080'], process.env);
 * ```
 */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServiceConfig {
  assertTrustProxyHasValue(optionSpec('trust-proxy'), argv);
  const values = parsedFlags(argv);
  const configPath = values['config'] ?? (env['REVOCABLE_CONFIG'] || undefined);
  const file: ConfigFile | undefined =
    configPath === undefined ? undefined : readConfigFile(String(configPath));
  // Flags first, then the environment, then the file, then the default.
  const get = (flag: string): string | undefined => {
    const spec = optionSpec(flag);
    const fromFlag = values[flag];
    if (fromFlag !== undefined) return String(fromFlag);
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    return file?.options.get(flag) ?? spec.fallback;
  };
  /** A value of an option that has a default. */
  const given = (flag: string): string => get(flag) as string;
  const flagOn = (flag: string) => ['true', '1', 'yes'].includes((get(flag) ?? '').toLowerCase());
  const number = (flag: string) => wholeNumberOf(optionSpec(flag), given(flag));

  const port = number('port');
  const issuer = get('issuer') ?? `http://localhost:${port}`;
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(issuer);
  } catch (cause) {
    throw invalidOption(optionSpec('issuer'), 'must be an absolute URL.', cause);
  }
  const alg = choiceOf(optionSpec('alg'), given('alg')) as Algorithm;
  const stalePolicy = stalePolicyOf(given('stale-policy'));
  const fromText = get('clients');
  const fileClients = fromText === undefined ? (file?.clients ?? []) : [];
  const clients = [
    ...clientsOf(optionSpec('clients'), fromText),
    ...fileClients.map(({ id, secret }) => ({ id, secret })),
  ];
  if (new Set(clients.map((c) => c.id)).size !== clients.length) {
    throw new RevocableError('ERR_CONFIG_INVALID', 'Invalid configuration: a client id is listed twice.');
  }
  const adminToken = tokenOf(optionSpec('admin-token'), get('admin-token'), 'the admin token');
  const ttl = number('access-token-ttl');
  const idle = number('session-idle');
  const absolute = number('session-absolute');
  if (absolute < idle)
    throw invalidOption(optionSpec('session-absolute'), 'must be at least --session-idle.');
  const metricsToken = tokenOf(optionSpec('metrics-token'), get('metrics-token'), 'the metrics token');
  const ownIssuer = issuer.replace(/\/$/, '');
  const trustedIssuers = parseTrustedIssuers(file?.trustedIssuers, 'trustedIssuers', ownIssuer);
  const issuerIds = new Set(trustedIssuers.map((entry) => entry.id));
  const clientPermissions = new Map(
    fileClients.map(
      (client, index) =>
        [client.id, permissionsOf(client.permissions, `clients[${index}].permissions`, issuerIds)] as const,
    ),
  );
  const basePolicy = { maxTokenLifetimeMs: ttl * 1000, clockSkewMs: SERVICE_CLOCK_SKEW_MS };
  return {
    port,
    host: given('host'),
    database: given('database'),
    dbConnectTimeoutMs: number('db-connect-timeout'),
    dbStatementTimeoutMs: number('db-statement-timeout'),
    readyTimeoutMs: number('ready-timeout'),
    requestTimeoutMs: number('request-timeout'),
    connectionTimeoutMs: number('connection-timeout'),
    maxConnections: number('max-connections'),
    redis: get('redis'),
    redisKeyPrefix: redisKeyPrefixOf(optionSpec('redis-key-prefix'), given('redis-key-prefix')),
    redisMaxLength: number('redis-max-length'),
    issuer: ownIssuer,
    audience: given('audience'),
    alg,
    keyReloadIntervalSec: number('key-reload-interval'),
    keyEncryption: KeyEncryption.fromEnvironment(env),
    accessTokenTtlSec: ttl,
    revocationPolicy: policyWithIssuers(basePolicy, trustedIssuers),
    sessionIdleSec: idle,
    sessionAbsoluteSec: absolute,
    refreshGraceSec: number('refresh-grace'),
    clients,
    adminToken,
    allowlist: flagOn('allowlist'),
    maxStalenessMs: number('max-staleness'),
    stalePolicy,
    allowedOrigins: (get('allowed-origins') ?? defaultOrigins(issuerUrl).join(','))
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    registration: !flagOn('no-registration'),
    logLevel: choiceOf(optionSpec('log-level'), given('log-level')),
    trustProxy: trustProxyOf(optionSpec('trust-proxy'), get('trust-proxy')),
    publicClients: publicClientsOf(optionSpec('public-clients'), given('public-clients'), clients),
    metricsToken,
    trustedIssuers,
    clientPermissions,
    spaOrigins: originsOf(get('spa-origins')),
    statusList: {
      enabled: flagOn('status-list'),
      intervalMs: number('status-list-interval'),
      ttlSec: number('status-list-ttl'),
      size: number('status-list-size'),
    },
    sharedSignals: sharedSignalsConfigOf(
      get,
      given('audience'),
      transmittersOfFile(file?.sharedSignals, given('audience')),
    ),
  };
}

/** `--spa-origins`: exact origins (`scheme://host[:port]`); a path, `*` or `null` is refused. */
function originsOf(value: string | undefined): string[] {
  const origins = (value ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {}
    if (parsed === undefined || parsed.origin !== origin || !/^https?:$/.test(parsed.protocol)) {
      throw invalidOption(
        optionSpec('spa-origins'),
        'must list exact origins such as https://app.example.com (no path, no *).',
      );
    }
  }
  return origins;
}
