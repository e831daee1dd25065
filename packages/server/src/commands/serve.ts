import { type AdminTokenOrigin, adminTokenFor } from '../admin-token-file.js';
import { loadConfig } from '../config.js';
import { serve } from '../serve.js';
import { parseCommand } from './args.js';
import { USAGE } from './usage.js';

/** How to enable the admin API, as the start-up text and the 401 answer say it. */
export const ENABLE_ADMIN_HINT =
  'set REVOCABLE_ADMIN_TOKEN (or --admin-token) to a secret of at least 32 characters, e.g. REVOCABLE_ADMIN_TOKEN=$(openssl rand -hex 32)';

/** What `serve` prints about the admin token: where it is, never what it is. */
function adminTokenText(origin: AdminTokenOrigin, consoleUrl: string): string {
  switch (origin.kind) {
    case 'configured':
      return `Admin API and console: enabled with REVOCABLE_ADMIN_TOKEN; open ${consoleUrl} and paste it.\n`;
    case 'file':
      return [
        `Admin API and console: enabled with the admin token ${origin.created ? 'just generated in' : 'kept in'} ${origin.path} (mode 0600).`,
        `  Open ${consoleUrl} and paste the token printed by: cat ${JSON.stringify(origin.path)}`,
        '  (Set REVOCABLE_ADMIN_TOKEN to use a token of your own instead.)',
        '',
      ].join('\n');
    case 'disabled':
      return [
        `Admin API and console: disabled. The service listens on ${origin.host}, not on a loopback address, so it makes no admin token itself.`,
        `  To enable them, ${ENABLE_ADMIN_HINT}, and restart.`,
        '',
      ].join('\n');
  }
}

/**
 * `revocable serve [options]`: runs the service until SIGINT or SIGTERM. Without an admin token on a
 * loopback address it makes one (see `adminTokenFor`) and prints where it is kept.
 *
 * @example
 * ```ts
 * await serveCommand(['--port', '8080']);
 * ```
 */
export async function serveCommand(argv: readonly string[]): Promise<void> {
  const { serviceArgs } = parseCommand(argv, { usage: USAGE.serve });
  const loaded = loadConfig(serviceArgs, process.env);
  const { token, origin } = await adminTokenFor(loaded);
  const config = { ...loaded, adminToken: token };
  const service = await serve(config);
  const base = config.issuer;
  process.stdout.write(
    `Revocable is running at ${base} (listening on ${service.url})\n  demo:    ${base}/demo\n  console: ${base}/console\n`,
  );
  process.stdout.write(adminTokenText(origin, `${base}/console`));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.app.log.info({ signal }, 'shutting down');
    service.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
