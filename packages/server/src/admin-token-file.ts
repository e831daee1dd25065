import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, open, readFile, unlink } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CommandError } from './commands/command-error.js';

/** The file name of the admin token for a database that is not a SQLite file (PostgreSQL, memory). */
export const WORKING_DIRECTORY_TOKEN_FILE = 'revocable.admin-token';

/**
 * Whether `revocable serve` binding `host` is reachable from this machine only: `localhost`,
 * 127.0.0.0/8 or ::1. Only then does it make an admin token itself.
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1'); // true
 * isLoopbackHost('0.0.0.0'); // false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./.test(bare);
  return false;
}

/**
 * Where the generated admin token of a database is kept: next to a SQLite file
 * (`./revocable.db.admin-token`); for PostgreSQL or an in-memory database, `revocable.admin-token` in
 * `cwd` (the database has no file to sit beside).
 *
 * @example
 * ```ts
 * adminTokenFilePath('./revocable.db', '/srv'); // '/srv/revocable.db.admin-token'
 * adminTokenFilePath('postgres://db/revocable', '/srv'); // '/srv/revocable.admin-token'
 * ```
 */
export function adminTokenFilePath(database: string, cwd: string = process.cwd()): string {
  const file = sqliteFileOf(database);
  return file === undefined ? join(cwd, WORKING_DIRECTORY_TOKEN_FILE) : `${resolve(cwd, file)}.admin-token`;
}

/** The SQLite file a database setting names; `undefined` for PostgreSQL and in-memory databases. */
function sqliteFileOf(database: string): string | undefined {
  if (/^postgres(ql)?:\/\//i.test(database) || database === 'memory') return undefined;
  let path = database;
  if (/^file:/i.test(database)) path = fileURLToPath(database);
  else if (/^sqlite:/i.test(database)) path = database.slice('sqlite:'.length).replace(/^\/\//, '');
  return path === ':memory:' || path === '' ? undefined : path;
}

function tokenFileError(path: string, why: string, cause?: unknown): CommandError {
  return new CommandError(
    'ERR_ADMIN_TOKEN_FILE',
    `The admin token file ${path} ${why} Set REVOCABLE_ADMIN_TOKEN (at least 32 characters, e.g. $(openssl rand -hex 32)) to use your own token instead.`,
    undefined,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Reads an admin token file, or `undefined` when there is none. Refuses (`ERR_ADMIN_TOKEN_FILE`) a
 * file that is not a regular file of this user, that others may read (not 0600), or that holds no
 * token of at least 32 characters; the message never shows the content.
 *
 * @example
 * ```ts
 * const token = await readAdminTokenFile('./revocable.db.admin-token');
 * ```
 */
export async function readAdminTokenFile(path: string): Promise<string | undefined> {
  let stat: Awaited<ReturnType<typeof lstat>>;
  try {
    stat = await lstat(path);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw tokenFileError(path, 'cannot be read.', cause);
  }
  if (!stat.isFile()) throw tokenFileError(path, 'is not a regular file (a link or a directory?).');
  if (process.platform !== 'win32') {
    if (typeof process.getuid === 'function' && stat.uid !== process.getuid())
      throw tokenFileError(path, 'belongs to another user.');
    if ((stat.mode & 0o077) !== 0)
      throw tokenFileError(path, `may be read by other users: run \`chmod 600 ${path}\`.`);
  }
  const token = (await readFile(path, 'utf8')).trim();
  if (token.length < 32 || /\s/.test(token))
    throw tokenFileError(
      path,
      'does not hold a token of at least 32 characters: delete it to make a new one.',
    );
  return token;
}

/**
 * The admin token kept in `path`, made on first use: 32 random bytes (base64url) written to a 0600
 * file, created atomically (a hard link of a complete file), so two services starting at once on one
 * database end up with the same token. Later starts reuse it.
 *
 * @example
 * ```ts
 * const { token, created } = await loadOrCreateAdminToken('./revocable.db.admin-token');
 * ```
 */
export async function loadOrCreateAdminToken(path: string): Promise<{ token: string; created: boolean }> {
  const existing = await readAdminTokenFile(path);
  if (existing !== undefined) return { token: existing, created: false };
  const token = randomBytes(32).toString('base64url');
  const draft = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const file = await open(draft, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
    try {
      await file.writeFile(`${token}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await link(draft, path);
    return { token, created: true };
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') {
      const won = await readAdminTokenFile(path);
      if (won !== undefined) return { token: won, created: false };
    }
    throw tokenFileError(path, 'could not be written.', cause);
  } finally {
    await unlink(draft).catch(() => {});
  }
}

/** Where `revocable serve` got its admin token, for what it prints at start. */
export type AdminTokenOrigin =
  | { readonly kind: 'configured' }
  | { readonly kind: 'file'; readonly path: string; readonly created: boolean }
  | { readonly kind: 'disabled'; readonly host: string };

/**
 * The admin token `revocable serve` runs with: `REVOCABLE_ADMIN_TOKEN` (or `--admin-token`) when set;
 * else, on a loopback address, the token of {@link adminTokenFilePath} (made on first start); else
 * none — a service reachable from other machines never makes its own credential, and runs with the
 * admin API and console disabled.
 *
 * @example
 * ```ts
 * const { token, origin } = await adminTokenFor({ adminToken: undefined, host: '127.0.0.1', database: './revocable.db' });
 * // origin: { kind: 'file', path: '/…/revocable.db.admin-token', created: true }
 * ```
 */
export async function adminTokenFor(config: {
  readonly adminToken: string | undefined;
  readonly host: string;
  readonly database: string;
}): Promise<{ token: string | undefined; origin: AdminTokenOrigin }> {
  if (config.adminToken !== undefined) return { token: config.adminToken, origin: { kind: 'configured' } };
  if (!isLoopbackHost(config.host))
    return { token: undefined, origin: { kind: 'disabled', host: config.host } };
  const path = adminTokenFilePath(config.database);
  const { token, created } = await loadOrCreateAdminToken(path);
  return { token, origin: { kind: 'file', path, created } };
}
