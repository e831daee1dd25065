import type { ServiceConfig } from '../config.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { openStorage, type Storage } from '../storage.js';
import { usageError } from './command-error.js';

function assertStoredDatabase(config: ServiceConfig, usage: string): void {
  if (['memory', ':memory:', 'sqlite::memory:'].includes(config.database))
    throw usageError(
      `--database ${config.database} is a new, empty database in this process: give the service's database (REVOCABLE_DATABASE).`,
      usage,
    );
}

/**
 * Runs `work` on the service's storage (`--database`, with the service's timeouts and key encryption),
 * closed afterwards whatever happens. Opening it applies pending migrations, as `revocable serve` does.
 *
 * @example
 * ```ts
 * const clients = await withStorage(config, USAGE.clientList, (storage) => storage.clients.listClients());
 * ```
 */
export async function withStorage<T>(
  config: ServiceConfig,
  usage: string,
  work: (storage: Storage) => Promise<T>,
): Promise<T> {
  assertStoredDatabase(config, usage);
  const storage = await openStorage(config.database, config.revocationPolicy, {
    keyEncryption: config.keyEncryption,
    statementTimeoutMs: config.dbStatementTimeoutMs,
    connectTimeoutMs: config.dbConnectTimeoutMs,
  });
  try {
    return await work(storage);
  } finally {
    await storage.close();
  }
}

/**
 * Runs `work` on the service's own runtime over `--database` — the same session service, revoker and
 * log as `revocable serve`, without HTTP and without publishing to Redis (the running services publish
 * what reaches the log) — closed afterwards.
 *
 * @example
 * ```ts
 * const event = await withRuntime(config, USAGE.revoke, (runtime) => runtime.sessions.applyRule(rule, audit));
 * ```
 */
export async function withRuntime<T>(
  config: ServiceConfig,
  usage: string,
  work: (runtime: Runtime) => Promise<T>,
): Promise<T> {
  assertStoredDatabase(config, usage);
  const runtime = await openRuntime({ ...config, redis: undefined });
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}
