/**
 * `@revocable/server/internal`: the service's own parts, for this repository's tests, benchmarks and
 * tools. No compatibility promise: applications use `@revocable/server`.
 *
 * @example
 * ```ts
 * import { openRuntime } from '@revocable/server/internal';
 * const runtime = await openRuntime(loadConfig(['--database', ':memory:'], {}));
 * ```
 *
 * @packageDocumentation
 */
export { ClientRegistry, hashClientSecret } from './auth/clients.js';
export { PasswordHasher } from './auth/passwords.js';
export { RateWindow } from './auth/rate-window.js';
export {
  type ClientContext,
  type SessionPolicy,
  SessionService,
  type TokenSet,
} from './auth/session-service.js';
export { LoginThrottle, type ThrottlePolicy } from './auth/throttle.js';
export { UserService } from './auth/user-service.js';
export { OPTIONS } from './config.js';
export { errorResponse } from './errors.js';
export { BODY_LIMIT } from './http/body-limit.js';
export { ServiceMetrics } from './metrics.js';
export { openRuntime, type Runtime } from './runtime.js';
export { openStorage, type Storage } from './storage.js';
