import { Counter, Gauge, type Registry } from 'prom-client';
import type { StatusListPublisher } from './status-list-publisher.js';

/**
 * The `--status-list` figures on the service's registry: live entries, entries revoked, the age of
 * the list served, and the publication rounds that failed (a storage error; the next round retries).
 * Returns what to call on a failed round.
 *
 * @example
 * ```ts
 * const onError = statusListMetrics(metrics.registry, () => statusList?.publisher);
 * ```
 */
export function statusListMetrics(
  registry: Registry,
  publisher: () => StatusListPublisher | undefined,
): (error: unknown) => void {
  const failures = new Counter({
    name: 'revocable_status_list_round_failures_total',
    help: 'Status list publication rounds that failed (storage unavailable); the next round retries',
    registers: [registry],
  });
  const entries = new Gauge({
    name: 'revocable_status_list_entries',
    help: 'Live tokens with an entry in the status list, as this process holds them',
    registers: [registry],
    collect: () => {
      const stats = publisher()?.stats();
      if (stats) entries.set(stats.entries);
    },
  });
  const revoked = new Gauge({
    name: 'revocable_status_list_revoked',
    help: 'Entries of the status list set to INVALID',
    registers: [registry],
    collect: () => {
      const stats = publisher()?.stats();
      if (stats) revoked.set(stats.revoked);
    },
  });
  const age = new Gauge({
    name: 'revocable_status_list_age_seconds',
    help: 'Seconds since the status list served was signed',
    registers: [registry],
    collect: () => {
      const stats = publisher()?.stats();
      if (stats && stats.publishedAt > 0) age.set(Math.max(0, (Date.now() - stats.publishedAt) / 1000));
    },
  });
  return () => failures.inc();
}
