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
export { main } from './cli.js';
export { helpText, loadConfig, OPTIONS, type ServiceConfig } from './config.js';
export { errorResponse, SERVICE_ERROR_CODES, ServiceError, type ServiceErrorCode } from './errors.js';
export { type AppOptions, buildApp } from './http/app.js';
export { BODY_LIMIT } from './http/body-limit.js';
export { ServiceMetrics } from './metrics.js';
export { CSRF_HEADER, REFRESH_COOKIE, WEB_CLIENT_ID } from './routes/auth.js';
export { openRuntime, type Runtime } from './runtime.js';
export { type RunningService, serve } from './serve.js';
export { openStorage, type Storage } from './storage.js';
