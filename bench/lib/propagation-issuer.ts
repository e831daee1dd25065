// The issuer of the `propagation` suite, run as its own process by bench/propagation.ts (startChild):
// `revocable serve` on the given database, publishing its log to the given Redis (Redis Streams) and
// serving its SSE feed. The parent revokes over HTTP (`POST /admin/revocations`).
import { loadConfig, serve } from '@revocable/server';
import { serveParent } from './child.js';

/** What the parent passes (one JSON argument). */
export interface IssuerConfig {
  readonly port: number;
  readonly database: string;
  readonly redisUrl: string;
  readonly adminToken: string;
  readonly client: { readonly id: string; readonly secret: string };
}

/** What the child answers when ready. */
export interface IssuerReady {
  /** Where it answers (loopback). */
  readonly url: string;
  /** Its `iss`, which also names its Redis stream. */
  readonly issuer: string;
}

const config = JSON.parse(process.argv[2] ?? '{}') as IssuerConfig;

await serveParent<IssuerReady>(async () => {
  const issuer = `http://localhost:${config.port}`;
  const service = await serve(
    loadConfig(
      [
        '--port',
        String(config.port),
        '--issuer',
        issuer,
        '--database',
        config.database,
        '--redis',
        config.redisUrl,
        '--admin-token',
        config.adminToken,
        '--clients',
        `${config.client.id}:${config.client.secret}`,
        '--log-level',
        'silent',
      ],
      {},
    ),
    { logger: false },
  );
  return {
    ready: { url: `http://127.0.0.1:${config.port}`, issuer },
    handlers: { close: () => service.close() },
  };
});
