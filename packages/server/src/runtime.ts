import {
  AccessTokenIssuer,
  BatchingRevocationLog,
  ConfiguredIssuers,
  KeyRing,
  LogFeedSource,
  MultiIssuerVerifier,
  Replica,
  ReplicaFollower,
  type RevocationLog,
  Revoker,
  Verifier,
} from '@revocable/core';
import { OWN_ISSUER_ID } from './auth/client-permissions.js';
import { ClientRegistry } from './auth/clients.js';
import { PasswordHasher } from './auth/passwords.js';
import { SessionService } from './auth/session-service.js';
import { LoginThrottle } from './auth/throttle.js';
import { UserService } from './auth/user-service.js';
import type { ServiceConfig } from './config.js';
import { ServiceMetrics } from './metrics.js';
import { statusListMetrics } from './status-list/status-list-metrics.js';
import { openStatusList, type StatusListService } from './status-list/status-list-service.js';
import { openStorage, type Storage } from './storage.js';

/** Everything a running service holds, wired together. */
export interface Runtime {
  readonly config: ServiceConfig;
  readonly storage: Storage;
  readonly keys: KeyRing;
  readonly issuer: AccessTokenIssuer;
  readonly verifier: Verifier;
  /**
   * The same checks as `verifier` but no revocation: only to recognise a logout retried with a token
   * its own earlier logout revoked (never to accept a request).
   */
  readonly verifierIgnoringRevocation: Verifier;
  readonly replica: Replica;
  /** The external issuers of `trustedIssuers`, verified against the same replica. */
  readonly issuers: ConfiguredIssuers;
  /** Verifies a token of the service or of any trusted issuer, by its `iss`. */
  readonly anyIssuer: MultiIssuerVerifier;
  /** The grant id of an issuer (`'self'` for the service's own), or `undefined` for one not trusted. */
  issuerIdOf(iss: string): string | undefined;
  readonly follower: ReplicaFollower;
  readonly revoker: Revoker;
  /** The log every revocation of the service goes through (batched writes to `storage.log`). */
  readonly log: RevocationLog;
  readonly sessions: SessionService;
  readonly users: UserService;
  readonly clients: ClientRegistry;
  readonly metrics: ServiceMetrics;
  /** `--status-list`: the list the access tokens name, and its publisher; `undefined` when off. */
  readonly statusList: StatusListService | undefined;
  close(): Promise<void>;
}

/**
 * Opens storage, loads (or creates) the signing keys, bootstraps this process's replica from the log
 * and wires the services. The service verifies its own tokens through the same replica an API server
 * would use, so `/api/me` shows exactly what a remote API sees.
 *
 * @example
 * ```ts
 * const runtime = await openRuntime(loadConfig([], process.env));
 * ```
 */
export async function openRuntime(config: ServiceConfig): Promise<Runtime> {
  // One lifetime policy, built from the flags, for every component that keeps or bounds lifetimes.
  const policy = config.revocationPolicy;
  const storage = await openStorage(config.database, policy, {
    keyEncryption: config.keyEncryption,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    connectTimeoutMs: config.dbConnectTimeoutMs,
  });
  const metrics = new ServiceMetrics();
  let statusList: StatusListService | undefined;
  try {
    const keys = await KeyRing.open({
      store: storage.keys,
      alg: config.alg,
      policy,
      // Another process (or `revocable keys rotate`) may rotate: re-read the keys, in the background.
      reloadIntervalMs: config.keyReloadIntervalSec * 1000,
    });
    const issuer = new AccessTokenIssuer({
      keys,
      issuer: config.issuer,
      audience: config.audience,
      policy,
    });
    const replica = new Replica({
      policy,
      maxStalenessMs: config.maxStalenessMs,
      stalePolicy: config.stalePolicy,
      allowlist: config.allowlist,
    });
    const follower = new ReplicaFollower(replica, new LogFeedSource(storage.log));
    await follower.start();
    const verifier = new Verifier({
      keys,
      issuer: config.issuer,
      audience: config.audience,
      // Lifetime bound and clock tolerance from replica.policy: no token outlives the log's cutoffs.
      revocation: replica,
    });
    // Every trusted issuer's tokens are checked against this same replica; its policy gives each issuer
    // its own lifetime (config.revocationPolicy.issuers).
    const issuers = await ConfiguredIssuers.open(config.trustedIssuers, { revocation: replica });
    const anyIssuer = new MultiIssuerVerifier([{ issuer: config.issuer, verifier }, ...issuers.routes]);
    const issuerIdOf = (iss: string): string | undefined =>
      iss === config.issuer ? OWN_ISSUER_ID : issuers.configByIssuer(iss)?.id;
    const verifierIgnoringRevocation = new Verifier({
      keys,
      issuer: config.issuer,
      audience: config.audience,
      revocation: 'none',
      maxTokenLifetimeSec: policy.maxTokenLifetimeMs / 1000,
    });
    // Revocations arriving during a commit are written together: one transaction instead of N.
    const log = new BatchingRevocationLog(storage.log, { policy });
    const revoker = new Revoker(log);
    storage.log.subscribe((event) =>
      metrics.revocations.inc({ rule: event.rule.kind, reason: event.reason }),
    );
    if (config.statusList.enabled) {
      const onError = statusListMetrics(metrics.registry, () => statusList?.publisher);
      const store = storage.statusLists;
      statusList = await openStatusList(config, { issuer, keys, replica, log: storage.log, store, onError });
    }
    const sessions = new SessionService({
      store: storage.sessions,
      issuer,
      revoker,
      iss: config.issuer,
      policy: {
        idleMs: config.sessionIdleSec * 1000,
        absoluteMs: config.sessionAbsoluteSec * 1000,
        refreshGraceMs: config.refreshGraceSec * 1000,
      },
      allowlist: config.allowlist,
      events: { onRefreshReuse: () => metrics.refreshReuse.inc() },
      rulePolicy: policy,
      // What the service mints, its own verifier must accept (the admin API's trusted-backend claims).
      acceptIssued: (token) => void verifierIgnoringRevocation.verifySync(token),
      ...(statusList !== undefined && { mint: statusList.issuer.issue.bind(statusList.issuer) }),
    });
    const users = new UserService(storage.users, sessions, new PasswordHasher(), new LoginThrottle(), {
      onLoginFailure: (reason) => metrics.loginFailures.inc({ reason }),
    });
    const clients = new ClientRegistry(config.clients, storage.clients, {
      publicClients: config.publicClients,
      permissions: config.clientPermissions,
    });
    const fanOut = config.redis === undefined ? undefined : await startRedisFanOut(config, storage, metrics);
    const housekeeping = setInterval(() => {
      void storage.log.purge().catch(() => {});
      void storage.sessions.purgeExpired(Date.now(), 7 * 86_400_000).catch(() => {});
      void storage.seenTokens.purgeExpired(Date.now()).catch(() => {});
      void keys.pruneRetired().catch(() => {});
    }, 60_000);
    housekeeping.unref();
    return {
      config,
      storage,
      log,
      keys,
      issuer,
      verifier,
      verifierIgnoringRevocation,
      replica,
      issuers,
      anyIssuer,
      issuerIdOf,
      follower,
      revoker,
      sessions,
      users,
      clients,
      metrics,
      statusList,
      async close() {
        clearInterval(housekeeping);
        await statusList?.close();
        await keys.close();
        await fanOut?.stop();
        follower.stop();
        replica.close();
        await storage.close();
      },
    };
  } catch (err) {
    await statusList?.close();
    await storage.close();
    throw err;
  }
}

/**
 * `--redis`: publishes the log to Redis Streams for API servers' replicas. Publishing follows the log's
 * own acknowledgement and retries from the last published `seq`, so a Redis outage never fails a
 * revocation; the replicas get it once Redis is back.
 */
async function startRedisFanOut(
  config: ServiceConfig,
  storage: Storage,
  metrics: ServiceMetrics,
): Promise<{ stop(): Promise<void> }> {
  const [{ Redis }, { PUBLISHER_REDIS_OPTIONS, RedisFeedPublisher }] = await Promise.all([
    import('ioredis'),
    import('@revocable/redis'),
  ]);
  const client = new Redis(config.redis!, PUBLISHER_REDIS_OPTIONS);
  client.on('error', () => {}); // connection failures: the publisher counts them and retries
  const publisher = new RedisFeedPublisher({
    log: storage.log,
    client,
    issuer: config.issuer,
    keyPrefix: config.redisKeyPrefix,
    maxLength: config.redisMaxLength,
    onError: () => metrics.feedPublishFailures.inc(),
  });
  metrics.feedPublisher = () => publisher.stats();
  publisher.start();
  return {
    async stop() {
      await publisher.stop();
      client.disconnect();
    },
  };
}
