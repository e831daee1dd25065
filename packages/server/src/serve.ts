import type { FastifyInstance } from 'fastify';
import type { ServiceConfig } from './config.js';
import { type AppOptions, buildApp } from './http/app.js';
import { openRuntime, type Runtime } from './runtime.js';

/** A running service. */
export interface RunningService {
  readonly app: FastifyInstance;
  readonly runtime: Runtime;
  /** `http://host:port` it listens on. */
  readonly url: string;
  /** Stops accepting requests, lets in-flight ones finish, then closes storage: no acknowledged write is lost. */
  close(): Promise<void>;
}

/**
 * Starts `revocable serve` with a configuration.
 *
 * @example
 * ```ts
 * const service = await serve(loadConfig(['--database', ':memory:', '--port', '0'], {}));
 * console.log(service.url);
 * await service.close();
 * ```
 */
export async function serve(config: ServiceConfig, options: AppOptions = {}): Promise<RunningService> {
  const runtime = await openRuntime(config);
  const app = await buildApp(runtime, options);
  // Connections past the cap are closed as they arrive: a flood of idle sockets cannot exhaust memory
  // or file descriptors.
  app.server.maxConnections = config.maxConnections;
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await runtime.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  return {
    app,
    runtime,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async close() {
      await app.close();
      await runtime.close();
    },
  };
}
