import { chmodSync, closeSync, constants, openSync, statSync } from 'node:fs';

/** Files SQLite keeps beside a database, which hold its data too. */
const SIDE_FILES = ['-wal', '-shm', '-journal'];

/**
 * Makes a SQLite database file private before SQLite opens it: the database holds signing keys,
 * password hashes and sessions, so it is a secret. A missing file is created empty with mode 0600, and
 * SQLite gives the `-wal`, `-shm` and `-journal` files it creates the database file's mode. An existing
 * file (and its side files) loses every permission for others; owner and group permissions an operator
 * chose are kept. A file this process may not change is left as it is, and a missing directory is left
 * for SQLite to report.
 *
 * @example
 * ```ts
 * makePrivateDatabaseFile('/var/lib/revocable/revocable.db');
 * const sqlite = new BetterSqlite3('/var/lib/revocable/revocable.db');
 * ```
 */
export function makePrivateDatabaseFile(path: string): void {
  try {
    // O_EXCL: of processes creating the file at once, one does; the others find it and tighten it.
    closeSync(openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') return;
  }
  for (const name of [path, ...SIDE_FILES.map((suffix) => path + suffix)]) withoutOthers(name);
}

function withoutOthers(name: string): void {
  try {
    const { mode } = statSync(name);
    if ((mode & 0o007) !== 0) chmodSync(name, mode & 0o770);
  } catch {
    // Missing (no side file yet) or not ours to change.
  }
}
