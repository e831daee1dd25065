import {
  connectToService,
  type FeedSource,
  HttpFeedSource,
  RevocableError,
  type ServiceConnection,
  type TrustedIssuerConfig,
} from '@revocable/core';
import type { TokenVerifier } from '@revocable/core/fetch';
import { RedisFeedSource } from '@revocable/redis';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { Redis } from 'ioredis';
import { AssertionSigner } from './assertion.js';
import { IntrospectionClients } from './client-auth.js';
import { createEdgeApp } from './edge-app.js';
import type { PathRule } from './path-rules.js';
import { PathRules } from './path-rules.js';
import type { AssertionPlacement } from './proxy.js';
import { trustedVerifier } from './trusted-issuers.js';

/** Options of {@link startEdge}: what `revocable edge` reads from its command line. */
export interface EdgeOptions {
  /** The Revocable service (its `--issuer`). */
  readonly service: string;
  /** The edge's confidential client at the service (`revocable client add edge`). */
  readonly clientId: string;
  readonly clientSecret: string;
  /** Follow Redis Streams (the service's `--redis`) instead of the service's SSE feed. */
  readonly redis?: { readonly url: string; readonly keyPrefix?: string };
  /** Longest time without news from the feed before tokens are refused (503), ms. Default 30,000. */
  readonly maxStalenessMs?: number;
  readonly host?: string;
  /** Default 8181. */
  readonly port?: number;
  /** The reverse proxy's upstream origin. */
  readonly upstream?: string;
  readonly rules?: readonly PathRule[];
  /** Sign an assertion JWT for the upstream (`X-Revocable-Assertion`, or as the `Authorization` bearer). */
  readonly assertion?: {
    readonly in?: AssertionPlacement;
    readonly audience: string;
    /** Its `iss`; default the edge's URL. */
    readonly issuer?: string;
    readonly lifetimeSec?: number;
  };
  /** Client id → secret of the clients allowed to introspect. */
  readonly introspectionClients?: ReadonlyMap<string, string>;
  /**
   * External issuers whose tokens the edge accepts too (Entra ID, Auth0, Keycloak…), in the service's
   * configuration format (`readTrustedIssuers`). Each must be trusted by the service as well: its feed
   * carries their revocations.
   */
  readonly trustedIssuers?: readonly TrustedIssuerConfig[];
  readonly upstreamTimeoutMs?: number;
  /** Proxy WebSocket upgrades too. Default false (see the README). */
  readonly websocket?: boolean;
  readonly realm?: string;
  readonly logger?: FastifyServerOptions['logger'];
  /** Called with the feed's failures (never with token data). */
  readonly onFeedError?: (error: unknown) => void;
}

/** A running edge. */
export interface RunningEdge {
  /** Where it listens: `http://127.0.0.1:8181`. */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly connection: ServiceConnection;
  /** Stops listening, following the feed, and closes the Redis client it opened. */
  close(): Promise<void>;
}

function redisFeed(options: EdgeOptions): { feed: FeedSource; client: Redis } | undefined {
  if (options.redis === undefined) return undefined;
  const client = new Redis(options.redis.url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  client.on('error', (error) => options.onFeedError?.(error));
  const feed = new RedisFeedSource({
    client,
    issuer: options.service.replace(/\/+$/, ''),
    ...(options.redis.keyPrefix !== undefined && { keyPrefix: options.redis.keyPrefix }),
    fallback: new HttpFeedSource({
      url: options.service,
      clientId: options.clientId,
      clientSecret: options.clientSecret,
    }),
  });
  return { feed, client };
}

/**
 * Starts `revocable edge`: connects to the service (metadata, keys, its revocations into a replica:
 * the SSE feed, or Redis Streams), then listens with the forward-auth endpoint, the introspection
 * endpoint, and the reverse proxy when there is an upstream. Fails at start, saying what to change,
 * when the service, its keys or the client credentials are not right.
 *
 * @example
 * ```ts
 * const edge = await startEdge({
 *   service: 'https://auth.example',
 *   clientId: 'edge',
 *   clientSecret: process.env.REVOCABLE_CLIENT_SECRET!,
 *   upstream: 'http://127.0.0.1:8080',
 * });
 * process.on('SIGTERM', () => void edge.close());
 * ```
 */
export async function startEdge(options: EdgeOptions): Promise<RunningEdge> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8181;
  const ownUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (options.assertion !== undefined && options.assertion.issuer === undefined && port === 0) {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      'The assertion issuer defaults to the edge URL, which needs a fixed port: give --port, or --assertion-issuer.',
    );
  }
  const signer =
    options.assertion === undefined
      ? undefined
      : await AssertionSigner.create({
          issuer: options.assertion.issuer ?? ownUrl,
          audience: options.assertion.audience,
          ...(options.assertion.lifetimeSec !== undefined && { lifetimeSec: options.assertion.lifetimeSec }),
        });
  const redis = redisFeed(options);
  let connection: ServiceConnection;
  try {
    connection = await connectToService(options.service, {
      clientId: options.clientId,
      clientSecret: options.clientSecret,
      ...(redis !== undefined && { feed: redis.feed }),
      ...(options.maxStalenessMs !== undefined && { maxStalenessMs: options.maxStalenessMs }),
      ...(options.onFeedError !== undefined && { onFeedError: options.onFeedError }),
    });
  } catch (err) {
    redis?.client.disconnect();
    throw err;
  }
  let verifier: TokenVerifier;
  try {
    ({ verifier } = await trustedVerifier(connection, options.trustedIssuers ?? []));
  } catch (err) {
    await connection.close();
    redis?.client.disconnect();
    throw err;
  }
  const app = await createEdgeApp({
    verifier,
    replica: connection.replica,
    rules: new PathRules(options.rules ?? []),
    introspectionClients: new IntrospectionClients(options.introspectionClients ?? new Map()),
    ...(options.upstream !== undefined && { upstream: options.upstream }),
    ...(signer !== undefined && { signer }),
    ...(options.assertion?.in !== undefined && { assertionIn: options.assertion.in }),
    ...(options.upstreamTimeoutMs !== undefined && { upstreamTimeoutMs: options.upstreamTimeoutMs }),
    ...(options.realm !== undefined && { realm: options.realm }),
    ...(options.websocket !== undefined && { websocket: options.websocket }),
    ...(options.logger !== undefined && { logger: options.logger }),
  });
  const close = async () => {
    await app.close();
    await connection.close();
    redis?.client.disconnect();
  };
  try {
    const address = await app.listen({ host, port });
    return { url: port === 0 ? address : ownUrl, app, connection, close };
  } catch (err) {
    await close();
    throw err;
  }
}
