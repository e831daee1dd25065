import { loadConfig, type ServiceConfig } from '../config.js';
import { parseCommand } from './args.js';
import { CommandError, usageError } from './command-error.js';
import { withStorage } from './database.js';
import { USAGE } from './usage.js';

type Status = Awaited<ReturnType<typeof import('@revocable/sql').sqlMigrationStatus>>;

async function statusOf(config: ServiceConfig): Promise<Status> {
  if (['memory', ':memory:', 'sqlite::memory:'].includes(config.database))
    throw usageError(
      "An in-memory database has nothing to migrate: give the service's --database.",
      USAGE.migrate,
    );
  const { sqlMigrationStatus } = await import('@revocable/sql');
  return sqlMigrationStatus({ url: config.database, connectTimeoutMs: config.dbConnectTimeoutMs });
}

function listed(pending: Status[number]['pending']): string {
  return pending.map((m) => `${m.version} (${m.name})`).join(', ');
}

/**
 * `revocable migrate [--check]`: applies the database's pending migrations without serving (what
 * `revocable serve` does on start), or with `--check` applies none and fails
 * (`ERR_MIGRATIONS_PENDING`, exit 1) naming each store that is behind.
 *
 * @example
 * ```ts
 * await migrate(['--check', '--database', 'postgres://revocable@db/revocable']);
 * ```
 */
export async function migrate(argv: readonly string[]): Promise<void> {
  const { flags, serviceArgs } = parseCommand(argv, { usage: USAGE.migrate, flags: { check: 'switch' } });
  const config = loadConfig(serviceArgs, process.env);
  const before = await statusOf(config);
  const behind = before.filter((s) => s.pending.length > 0);
  if (flags['check'] === true) {
    if (behind.length === 0) {
      process.stdout.write('The database is up to date: no migration pending.\n');
      return;
    }
    throw new CommandError(
      'ERR_MIGRATIONS_PENDING',
      [
        'The database is behind:',
        ...behind.map((s) => `  ${s.store}: ${s.pending.length} pending, ${listed(s.pending)}`),
        'Run `revocable migrate` (or start `revocable serve`) to apply them.',
      ].join('\n'),
    );
  }
  if (behind.length === 0) {
    process.stdout.write('The database is up to date: no migration pending.\n');
    return;
  }
  // Opening the storage applies every store's migrations, each store in one transaction.
  await withStorage(config, USAGE.migrate, async () => {});
  for (const s of behind) process.stdout.write(`${s.store}: applied ${listed(s.pending)}\n`);
}
