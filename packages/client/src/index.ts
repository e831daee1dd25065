/**
 * `@revocable/client`: the browser side of Revocable sessions. No framework dependency.
 *
 * @example
 * ```ts
 * import { RevocableClient } from '@revocable/client';
 *
 * const auth = new RevocableClient();
 * await auth.restore();
 * const response = await auth.fetch('/api/me');
 * ```
 *
 * @packageDocumentation
 */
export { RevocableClient, type RevocableClientOptions, type SessionState } from './client.js';
export type { ClientEnvironment } from './environment.js';
export { type ClientErrorCode, isClientError, RevocableClientError } from './errors.js';
export type { LockManagerLike } from './refresh-lock.js';
export { SERVER_ERROR_CODES, type ServerErrorCode, serverErrorCode } from './server-codes.js';
export type { Grant, SignOutReason, TabChannel, TabMessage } from './tab-channel.js';
