import type { Storage } from './storage.js';

/** What `/readyz` reports about the database. */
export type DatabaseReadiness = 'ok' | 'unreachable' | 'timeout';

/**
 * Asks the database whether it answers, within `timeoutMs`: `/readyz` is what load balancers poll, so
 * it must answer in a bounded time even when the database hangs. Single-flight: while a ping is under
 * way, callers wait for that one (polls during a hang do not pile up pings on the pool); a ping that
 * outlives its caller's bound keeps running and the next caller joins it.
 *
 * @example
 * ```ts
 * const probe = databaseProbe(storage, 2000);
 * const database = await probe(); // 'ok' | 'unreachable' | 'timeout'
 * ```
 */
export function databaseProbe(
  storage: Pick<Storage, 'ping'>,
  timeoutMs: number,
): () => Promise<DatabaseReadiness> {
  let pinging: Promise<DatabaseReadiness> | undefined;
  return async () => {
    pinging ??= storage
      .ping()
      .then(
        (): DatabaseReadiness => 'ok',
        (): DatabaseReadiness => 'unreachable',
      )
      .finally(() => {
        pinging = undefined;
      });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<DatabaseReadiness>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      return await Promise.race([pinging, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
