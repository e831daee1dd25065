/**
 * Request bodies above this many bytes are refused with `ERR_BODY_TOO_LARGE` (413), JSON and forms alike.
 *
 * @example
 * ```ts
 * const app = Fastify({ bodyLimit: BODY_LIMIT });
 * ```
 */
export const BODY_LIMIT = 32 * 1024;
