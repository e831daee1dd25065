/**
 * The usage line of every command, in the order `--help` lists them. `D` is a database (`--database`,
 * or `REVOCABLE_DATABASE`), `U` a running service's URL (`--url`; the admin token from
 * `REVOCABLE_ADMIN_TOKEN`).
 *
 * @example
 * ```ts
 * process.stderr.write(`${USAGE.clientAdd}\n`);
 * ```
 */
export const USAGE = {
  serve: 'revocable serve [options]',
  migrate: 'revocable migrate [--check] [--database D]',
  clientList: 'revocable client list [--database D]',
  clientAdd: 'revocable client add <id> [--secret S] [--force] [--database D]',
  clientRemove: 'revocable client remove <id> [--database D]',
  keysList: 'revocable keys list [--database D | --url U]',
  keysRotate: 'revocable keys rotate [--database D | --url U]',
  keysRewrap: 'revocable keys rewrap [--database D]',
  revoke:
    'revocable revoke user <sub> | session <sid> | token <jwt|jti> | key <kid> | issuer <iss> [--expires-at T] [--actor A] [--database D | --url U]',
  sessionsList: 'revocable sessions list <sub> [--json] [--database D | --url U]',
  edge: 'revocable edge --service U --client-id ID [--upstream URL] [options] (see @revocable/edge)',
  version: 'revocable --version',
} as const;

/**
 * The `Usage:` block of `--help`, and of every usage error.
 *
 * @example
 * ```ts
 * process.stderr.write(`${usageBlock()}\n`);
 * ```
 */
export function usageBlock(): string {
  const lines = Object.values(USAGE);
  return lines.map((line, i) => `${i === 0 ? 'Usage: ' : '       '}${line}`).join('\n');
}
