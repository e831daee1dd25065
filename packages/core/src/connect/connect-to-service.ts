import { RevocableError } from '../errors.js';
import { ReplicaFollower } from '../feed/follower.js';
import { HttpFeedSource } from '../feed/http-source.js';
import type { FeedSource } from '../feed/source.js';
import { RemoteJwks } from '../keys/remote-jwks.js';
import { Replica, type ReplicaOptions } from '../revocation/replica.js';
import { Verifier } from '../verify/verifier.js';
import { discoverService, feedBaseOf, type ServiceMetadata } from './service-metadata.js';
import { ServiceRevoker } from './service-revoker.js';
import { serviceUrlOf } from './service-url.js';

/**
 * Options of {@link connectToService}.
 *
 * @example
 * ```ts
 * const options: ConnectOptions = {
 *   clientId: 'orders-api',
 *   clientSecret: process.env.REVOCABLE_CLIENT_SECRET!,
 *   maxStalenessMs: 10_000,
 *   onFeedError: (error) => log.warn({ error }, 'revocation feed'),
 * };
 * ```
 */
export interface ConnectOptions {
  /** The API's confidential client at the service (`npx revocable client add <id>` prints its secret). */
  readonly clientId: string;
  readonly clientSecret: string;
  /**
   * Where the revocations come from. Default: the service's HTTP feed (snapshot, then Server-Sent
   * Events) read with the client credentials. Give a `RedisFeedSource` from `@revocable/redis` to
   * follow Redis Streams instead; when the source has `onFellBehind` (as that one does), the replica
   * re-bootstraps whenever the stream was trimmed past it. The source stays yours: `close()` does not
   * close its Redis client.
   */
  readonly feed?: FeedSource;
  /** Longest time without news from the feed before `stalePolicy` applies, ms. Default 30,000. */
  readonly maxStalenessMs?: number;
  /** What a stale replica does: `fail-closed` (default: 503 `ERR_REVOCATION_STALE`), `fail-open`, `introspect`. */
  readonly stalePolicy?: ReplicaOptions['stalePolicy'];
  /** For `introspect`: resolves `true` when the token is still active. */
  readonly introspect?: ReplicaOptions['introspect'];
  /** Called with the feed's failures after the connection is made (never with token data). */
  readonly onFeedError?: (error: unknown) => void;
  /** Abort each request (metadata, keys, feed reads, revocations) after this many ms. Default 5,000. */
  readonly timeoutMs?: number;
  /** A `fetch` implementation; defaults to the global one. */
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * An API's connection to a Revocable service: everything it needs to accept the service's tokens and
 * refuse them as soon as they are revoked. Give it to the middleware as it is
 * (`requireAuth(connection)`: the options only need its `verifier`).
 *
 * @example
 * ```ts
 * const connection = await connectToService('https://auth.example', { clientId, clientSecret });
 * app.get('/orders', requireAuth(connection), listOrders);
 * process.on('SIGTERM', () => void connection.close());
 * ```
 */
export interface ServiceConnection {
  /** The service's issuer: its tokens' `iss`. */
  readonly issuer: string;
  /** Verifies the service's tokens: its keys, issuer, audience, lifetime policy and revocations. */
  readonly verifier: Verifier;
  /** The in-memory copy of the service's revocations the verifier checks. */
  readonly replica: Replica;
  /** For the API's own logout route: `revoke(connection.revoker, req.auth)` ends the session at the service. */
  readonly revoker: ServiceRevoker;
  /** What the service published, checked. */
  readonly metadata: ServiceMetadata;
  /** Stops following the feed and the replica's timers; the verifier refuses tokens as stale afterwards. */
  close(): Promise<void>;
}

function config(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

function checkedOptions(options: ConnectOptions): ConnectOptions {
  if (typeof options !== 'object' || options === null) {
    throw config('connectToService needs options: { clientId, clientSecret }.');
  }
  const { clientId, clientSecret } = options;
  if (typeof clientId !== 'string' || clientId.length === 0) {
    throw config(
      'clientId is missing: register the API at the service with `npx revocable client add <id>` and pass that id.',
    );
  }
  if (typeof clientSecret !== 'string' || clientSecret.length === 0) {
    throw config(
      `clientSecret is missing for client ${JSON.stringify(clientId.slice(0, 128))}: pass the secret \`npx revocable client add\` printed (e.g. from an environment variable).`,
    );
  }
  if (options.feed !== undefined && typeof options.feed?.follow !== 'function') {
    throw config('feed must be a FeedSource (e.g. a RedisFeedSource from @revocable/redis).');
  }
  return options;
}

/** The keys, loaded now: an API that cannot get them fails at start, not on its first request. */
async function loadKeys(metadata: ServiceMetadata, loopbackHttp: boolean, options: ConnectOptions) {
  const keys = new RemoteJwks({
    url: metadata.jwksUri,
    allowInsecureLocalhost: loopbackHttp,
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.fetch !== undefined && { fetch: options.fetch }),
  });
  try {
    await keys.load();
  } catch (cause) {
    throw new RevocableError(
      'ERR_JWKS_UNAVAILABLE',
      `The signing keys of the service at ${metadata.issuer} could not be loaded from ${metadata.jwksUri}: ${(cause as Error).message}`,
      undefined,
      { cause },
    );
  }
  return keys;
}

/** Follows the feed into the replica; the first read also proves the client credentials. */
async function follow(
  replica: Replica,
  metadata: ServiceMetadata,
  options: ConnectOptions,
): Promise<ReplicaFollower> {
  const http = new HttpFeedSource({
    url: feedBaseOf(metadata),
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    ...(options.fetch !== undefined && { fetch: options.fetch }),
  });
  // With another feed the credentials are still the revoker's: a wrong secret fails now, not at logout.
  if (options.feed !== undefined) await http.readAfter(0, 1);
  const source = options.feed ?? http;
  const follower = new ReplicaFollower(replica, source, {
    ...(options.onFeedError !== undefined && { onError: options.onFeedError }),
  });
  const fellBehind = (source as { onFellBehind?: unknown }).onFellBehind;
  if (typeof fellBehind === 'function') {
    fellBehind.call(source, () => void follower.rebootstrap().catch(options.onFeedError ?? (() => {})));
  }
  try {
    await follower.start();
  } catch (err) {
    follower.stop();
    throw err;
  }
  return follower;
}

/**
 * Connects an API to a running Revocable service, in one call: reads its RFC 8414 metadata (issuer,
 * audience, lifetime policy, keys, feed), loads its signing keys, follows its revocations into an
 * in-memory {@link Replica} (its HTTP feed, or `options.feed`), and builds the {@link Verifier} and a
 * {@link ServiceRevoker} for the API's own logout. Resolves once the replica holds every revocation.
 *
 * `url` is the service's `--issuer`: `https:`, or `http:` on `localhost`, `127.0.0.1`, `[::1]`.
 * Failures say what was tried and what to change, never a secret: `ERR_JWKS_UNAVAILABLE` when the
 * metadata or keys cannot be read (a 404 asks whether this is a Revocable service), `ERR_CONFIG_INVALID`
 * for an issuer other than `url` (naming both), metadata without what an API needs, or client
 * credentials the service refuses (naming the client and `npx revocable client add`).
 *
 * @example
 * ```ts
 * import { connectToService } from '@revocable/core';
 * import { requireAuth, revoke } from '@revocable/core/express';
 *
 * const connection = await connectToService('https://auth.example', {
 *   clientId: 'orders-api',
 *   clientSecret: process.env.REVOCABLE_CLIENT_SECRET!,
 * });
 * app.get('/orders', requireAuth(connection), (req, res) => res.json({ user: req.auth!.claims.sub }));
 * app.post('/logout', requireAuth(connection), async (req, res) => {
 *   await revoke(connection.revoker, req.auth);
 *   res.sendStatus(204);
 * });
 * ```
 */
export async function connectToService(
  url: string | URL,
  options: ConnectOptions,
): Promise<ServiceConnection> {
  const { clientId, clientSecret, timeoutMs = 5000, fetch = globalThis.fetch } = checkedOptions(options);
  const service = serviceUrlOf(url);
  const metadata = await discoverService(service, { fetch, timeoutMs });
  const keys = await loadKeys(metadata, service.loopbackHttp, options);
  const replica = new Replica({
    policy: metadata.policy,
    ...(options.maxStalenessMs !== undefined && { maxStalenessMs: options.maxStalenessMs }),
    ...(options.stalePolicy !== undefined && { stalePolicy: options.stalePolicy }),
    ...(options.introspect !== undefined && { introspect: options.introspect }),
  });
  let follower: ReplicaFollower;
  try {
    follower = await follow(replica, metadata, options);
  } catch (err) {
    replica.close();
    throw err;
  }
  const verifier = new Verifier({
    keys,
    issuer: metadata.issuer,
    audience: metadata.audience,
    revocation: replica, // its policy, the service's, bounds lifetimes and clock tolerance
  });
  const revoker = new ServiceRevoker({
    endpoint: metadata.feedEndpoint,
    clientId,
    clientSecret,
    timeoutMs,
    fetch,
  });
  return Object.freeze({
    issuer: metadata.issuer,
    verifier,
    replica,
    revoker,
    metadata,
    async close() {
      follower.stop();
      replica.close();
    },
  });
}
