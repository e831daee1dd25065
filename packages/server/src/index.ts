/**
 * `@revocable/server`: `revocable serve` as a library — start the service with a configuration, or
 * build its Fastify app. The service's own parts (session and user services, stores, metrics, the
 * runtime) are in `@revocable/server/internal`, for tests and tools of this repository.
 *
 * @example
 * ```ts
 * import { loadConfig, serve } from '@revocable/server';
 * const service = await serve(loadConfig(['--database', ':memory:', '--port', '0'], {}));
 * ```
 *
 * @packageDocumentation
 */
export { main } from './cli.js';
export { helpText, loadConfig, type ServiceConfig } from './config.js';
export { SERVICE_ERROR_CODES, ServiceError, type ServiceErrorCode } from './errors.js';
export { type AppOptions, buildApp } from './http/app.js';
export { CSRF_HEADER, REFRESH_COOKIE, WEB_CLIENT_ID } from './routes/auth.js';
export { type RunningService, serve } from './serve.js';
