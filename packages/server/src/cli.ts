import { randomBytes } from 'node:crypto';
import { KeyRing } from '@revocable/core';
import { hashClientSecret } from './auth/clients.js';
import { helpText, loadConfig, type ServiceConfig } from './config.js';
import { serve } from './serve.js';
import { openStorage } from './storage.js';

async function clientAdd(args: string[]): Promise<void> {
  const id = args.find((a) => !a.startsWith('--'));
  if (!id || !/^[A-Za-z0-9._-]{1,128}$/.test(id))
    throw new Error('usage: revocable client add <id> [--secret S]');
  const rest = args.filter((a) => a !== id);
  const secretAt = rest.indexOf('--secret');
  const secret = secretAt >= 0 ? rest.splice(secretAt, 2)[1] : randomBytes(32).toString('base64url');
  if (!secret || secret.length < 16) throw new Error('the secret must have at least 16 characters.');
  const config = loadConfig(rest, process.env);
  const storage = await openStorage(config.database, config.revocationPolicy);
  try {
    await storage.clients.putClient({ id, secretHash: hashClientSecret(secret), createdAt: Date.now() });
  } finally {
    await storage.close();
  }
  // Printed once, to the terminal that asked for it; never logged.
  process.stdout.write(`client ${id} added. secret: ${secret}\n`);
}

async function keysRotate(args: string[]): Promise<void> {
  const config = loadConfig(args, process.env);
  const storage = await openKeyStorage(config);
  try {
    const ring = await KeyRing.open({
      store: storage.keys,
      alg: config.alg,
      policy: config.revocationPolicy,
      reloadIntervalMs: 0,
    });
    // One compare-and-set in the database; running services pick it up within --key-reload-interval.
    await ring.rotate();
    for (const key of ring.list())
      process.stdout.write(`${key.state.padEnd(8)} ${key.alg.padEnd(6)} ${key.kid}\n`);
    await ring.close();
  } finally {
    await storage.close();
  }
}

/** Re-seals every stored private key under REVOCABLE_KEY_ENCRYPTION_KEY (opening the storage does it). */
async function keysRewrap(args: string[]): Promise<void> {
  const config = loadConfig(args, process.env);
  const storage = await openKeyStorage(config);
  await storage.close();
  const id = config.keyEncryption?.keyId;
  process.stdout.write(
    id === undefined
      ? 'signing keys are stored in plaintext.\n'
      : `signing keys are sealed with key-encryption key ${id}.\n`,
  );
}

function openKeyStorage(config: ServiceConfig) {
  return openStorage(config.database, config.revocationPolicy, { keyEncryption: config.keyEncryption });
}

async function serveCommand(args: string[]): Promise<void> {
  const config = loadConfig(args, process.env);
  const service = await serve(config);
  const base = config.issuer;
  process.stdout.write(
    `Revocable is running at ${base} (listening on ${service.url})\n  demo:    ${base}/demo\n  console: ${base}/console\n`,
  );
  if (!config.adminToken)
    process.stdout.write(
      'The admin API and console are disabled: set REVOCABLE_ADMIN_TOKEN to enable them.\n',
    );
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

/**
 * The `revocable` command line: `serve`, `client add`, `keys rotate`, `keys rewrap`, `--help`.
 *
 * @example
 * ```ts
 * await main(['serve', '--port', '8080']);
 * ```
 */
export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === 'help' || rest.includes('--help')) {
      process.stdout.write(helpText());
      return;
    }
    if (command === 'serve') return await serveCommand(rest);
    if (command === 'client' && rest[0] === 'add') return await clientAdd(rest.slice(1));
    if (command === 'keys' && rest[0] === 'rotate') return await keysRotate(rest.slice(1));
    if (command === 'keys' && rest[0] === 'rewrap') return await keysRewrap(rest.slice(1));
    process.stderr.write(`Unknown command "${command}".\n\n${helpText()}`);
    process.exitCode = 2;
  } catch (err) {
    process.stderr.write(`revocable: ${(err as Error).message}\n`);
    process.exitCode = 1;
  }
}
