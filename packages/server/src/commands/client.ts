import { randomBytes } from 'node:crypto';
import { hashClientSecret } from '../auth/clients.js';
import { loadConfig } from '../config.js';
import { timeToWire } from '../http/wire.js';
import { parseCommand } from './args.js';
import { CommandError, usageError } from './command-error.js';
import { withStorage } from './database.js';
import { USAGE } from './usage.js';

const CLIENT_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * `revocable client list`: the stored confidential clients (those of `REVOCABLE_CLIENTS` live in that
 * variable, not in the database), never a secret.
 *
 * @example
 * ```ts
 * await clientList(['--database', './revocable.db']);
 * ```
 */
export async function clientList(argv: readonly string[]): Promise<void> {
  const { serviceArgs } = parseCommand(argv, { usage: USAGE.clientList });
  const config = loadConfig(serviceArgs, process.env);
  const clients = await withStorage(config, USAGE.clientList, (s) => s.clients.listClients());
  if (clients.length === 0) {
    process.stdout.write('No stored clients (clients of REVOCABLE_CLIENTS are not stored).\n');
    return;
  }
  for (const client of clients) process.stdout.write(`${client.id}\t${timeToWire(client.createdAt)}\n`);
}

/**
 * `revocable client add <id> [--secret S] [--force]`: stores a confidential client and prints its
 * secret, once. An existing client is refused (`ERR_CLIENT_EXISTS`) unless `--force` replaces its
 * secret.
 *
 * @example
 * ```ts
 * await clientAdd(['billing-api', '--database', './revocable.db']);
 * ```
 */
export async function clientAdd(argv: readonly string[]): Promise<void> {
  const { args, flags, serviceArgs } = parseCommand(argv, {
    usage: USAGE.clientAdd,
    positionals: ['id'],
    flags: { secret: 'value', force: 'switch' },
  });
  const id = args['id']!;
  if (!CLIENT_ID.test(id))
    throw usageError('<id> must be 1 to 128 letters, digits or ._- characters.', USAGE.clientAdd);
  const given = flags['secret'];
  const secret = typeof given === 'string' ? given : randomBytes(32).toString('base64url');
  if (secret.length < 16) throw usageError('--secret must have at least 16 characters.', USAGE.clientAdd);
  const config = loadConfig(serviceArgs, process.env);
  const replaced = await withStorage(config, USAGE.clientAdd, async (storage) => {
    const existing = await storage.clients.getClient(id);
    if (existing !== undefined && flags['force'] !== true) {
      throw new CommandError(
        'ERR_CLIENT_EXISTS',
        `Client ${id} already exists (added ${timeToWire(existing.createdAt)}); nothing was changed. Add --force to replace its secret (the old secret stops working at once).`,
      );
    }
    await storage.clients.putClient({ id, secretHash: hashClientSecret(secret), createdAt: Date.now() });
    return existing !== undefined;
  });
  // Printed once, to the terminal that asked for it; never logged.
  process.stdout.write(`client ${id} ${replaced ? 'replaced' : 'added'}. secret: ${secret}\n`);
}

/**
 * `revocable client remove <id>`: deletes a stored client; its secret stops working at once.
 * `ERR_CLIENT_NOT_FOUND` for an id that is not stored.
 *
 * @example
 * ```ts
 * await clientRemove(['billing-api', '--database', './revocable.db']);
 * ```
 */
export async function clientRemove(argv: readonly string[]): Promise<void> {
  const { args, serviceArgs } = parseCommand(argv, { usage: USAGE.clientRemove, positionals: ['id'] });
  const id = args['id']!;
  const config = loadConfig(serviceArgs, process.env);
  const removed = await withStorage(config, USAGE.clientRemove, (s) => s.clients.deleteClient(id));
  if (!removed) {
    throw new CommandError(
      'ERR_CLIENT_NOT_FOUND',
      `No stored client ${JSON.stringify(id.slice(0, 128))} in ${config.database.startsWith('postgres') ? 'the database' : config.database}: \`revocable client list\` shows the stored ones (a client of REVOCABLE_CLIENTS is removed by taking it out of that variable).`,
    );
  }
  process.stdout.write(`client ${id} removed.\n`);
}
