// The scale-out topology in separate processes: a private redis-server, the issuer (`revocable serve` on
// PostgreSQL, publishing to Redis) and N API processes (api-main.ts), each with its own replica.
import pg from 'pg';
import { RedisServer } from '../../packages/redis/test/support/redis-server.js';
import { postgresUrl } from '../../packages/server/test/support/postgres.js';
import { freePort } from '../../packages/server/test/support/service.js';
import type { ApiConfig } from './api-main.js';
import { ADMIN_TOKEN, AUDIENCE, CLIENT, IssuerClient } from './issuer-client.js';
import { NodeProcess } from './process.js';

const ISSUER_MAIN = new URL('./issuer-main.ts', import.meta.url);
const API_MAIN = new URL('./api-main.ts', import.meta.url);

/** What an API process reports at `/_stats`. */
export interface ApiStats {
  readonly name: string;
  readonly pid: number;
  readonly replica: {
    lastSeq: number;
    stale: boolean;
    bootstraps: number;
    tokens: number;
    tokenTableBytes: number;
  };
  readonly source: {
    events: number;
    heartbeats: number;
    fellBehind: number;
    fallbackPolls: number;
    errors: number;
  };
  readonly memory: { rss: number; heapUsed: number };
}

/** One API process and where it answers. */
export class ApiServer {
  constructor(
    readonly config: ApiConfig,
    readonly process: NodeProcess,
    readonly url: string,
  ) {}

  async stats(): Promise<ApiStats> {
    const response = await fetch(`${this.url}/_stats`, { signal: AbortSignal.timeout(5000) });
    return (await response.json()) as ApiStats;
  }

  /** `GET /resource` with `token`: the status and the error code (if any) of the middleware's answer. */
  async call(token: string): Promise<{ status: number; code: string | undefined }> {
    const response = await fetch(`${this.url}/resource`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5000),
    });
    const body = (await response.json()) as { error?: string };
    return { status: response.status, code: response.ok ? undefined : body.error };
  }
}

export interface ClusterOptions {
  readonly apis: number;
  readonly maxStalenessMs?: number;
}

export class Cluster {
  readonly issuerClient: IssuerClient;
  readonly apis: ApiServer[] = [];
  #issuer: NodeProcess | undefined;

  private constructor(
    readonly redis: RedisServer,
    readonly database: string,
    readonly schema: string,
    readonly issuerPort: number,
    readonly maxStalenessMs: number,
  ) {
    this.issuerClient = new IssuerClient(this.issuerUrl);
  }

  /** Redis, then the issuer, then `apis` API processes (started two at a time: CI has two cores). */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const redis = await RedisServer.start();
    const schema = `e2e_redis_${process.pid}_${Date.now()}`;
    const url = new URL(postgresUrl());
    url.searchParams.set('schema', schema);
    const cluster = new Cluster(
      redis,
      url.toString(),
      schema,
      await freePort(),
      options.maxStalenessMs ?? 5000,
    );
    try {
      await cluster.startIssuer();
      for (let i = 0; i < options.apis; i += 2) {
        const batch = Array.from({ length: Math.min(2, options.apis - i) }, (_, j) =>
          cluster.startApi(`api-${i + j}`),
        );
        cluster.apis.push(...(await Promise.all(batch)));
      }
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** The issuer's `iss` and the name of its stream. */
  get issuer(): string {
    return `http://localhost:${this.issuerPort}`;
  }

  /** Where the issuer answers (loopback, IPv4). */
  get issuerUrl(): string {
    return `http://127.0.0.1:${this.issuerPort}`;
  }

  get issuerRunning(): boolean {
    return this.#issuer?.running ?? false;
  }

  /** Starts `revocable serve` on the same port, database and Redis as before. */
  async startIssuer(): Promise<void> {
    const { process: issuer } = await NodeProcess.start(
      'issuer',
      ISSUER_MAIN,
      [
        'serve',
        '--port',
        String(this.issuerPort),
        '--issuer',
        this.issuer,
        '--database',
        this.database,
        '--redis',
        this.redis.url,
        '--admin-token',
        ADMIN_TOKEN,
        '--clients',
        `${CLIENT.id}:${CLIENT.secret}`,
        '--log-level',
        'warn',
      ],
      /Revocable is running at /,
    );
    this.#issuer = issuer;
    await this.issuerClient.ready();
  }

  /** Kills the issuer (SIGKILL: a crash, nothing flushed). */
  async killIssuer(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.#issuer?.kill(signal);
  }

  /** Starts one API process; `overrides` change its configuration (e.g. reach Redis through a proxy). */
  async startApi(name: string, overrides: Partial<ApiConfig> = {}): Promise<ApiServer> {
    const config: ApiConfig = {
      name,
      issuer: this.issuer,
      issuerUrl: this.issuerUrl,
      redisUrl: this.redis.url,
      audience: AUDIENCE,
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      maxStalenessMs: this.maxStalenessMs,
      ...overrides,
    };
    const { process: api, match } = await NodeProcess.start(
      name,
      API_MAIN,
      [JSON.stringify(config)],
      /API-READY (\{.*\})\n/,
    );
    const { port } = JSON.parse(match[1]!) as { port: number };
    return new ApiServer(config, api, `http://127.0.0.1:${port}`);
  }

  /** Replaces API process `index` by a new one with the same configuration (after killing it yourself). */
  async restartApi(index: number): Promise<ApiServer> {
    const old = this.apis[index]!;
    await old.process.kill('SIGKILL');
    const fresh = await this.startApi(old.config.name, old.config);
    this.apis[index] = fresh;
    return fresh;
  }

  /** Waits until every API process (or `apis`) has applied `seq` and is fresh. */
  async converged(seq: number, apis: readonly ApiServer[] = this.apis, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const api of apis) {
      for (;;) {
        const stats = await api.stats().catch(() => undefined);
        if (stats && stats.replica.lastSeq >= seq && !stats.replica.stale) break;
        if (Date.now() > deadline) {
          throw new Error(`${api.config.name} did not reach seq ${seq}: ${JSON.stringify(stats?.replica)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.apis.map((api) => api.process.kill('SIGTERM', 5000)));
    await this.#issuer?.kill('SIGTERM', 5000);
    await this.redis.stop();
    const client = new pg.Client({ connectionString: postgresUrl() });
    try {
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${this.schema}" CASCADE`);
    } catch {
      /* best effort */
    } finally {
      await client.end().catch(() => {});
    }
  }
}
