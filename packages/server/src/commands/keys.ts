import { KeyRing } from '@revocable/core';
import { loadConfig } from '../config.js';
import { type KeyWire, keyToWire } from '../http/wire.js';
import { AdminApi } from './admin-api.js';
import { parseCommand } from './args.js';
import { withStorage } from './database.js';
import { USAGE } from './usage.js';

/** One line per key: `state alg kid created [verify-until]`; never a private part. */
function printKeys(keys: readonly KeyWire[]): void {
  for (const key of keys) {
    const until = key.verify_until === null ? '' : ` verifies until ${key.verify_until}`;
    process.stdout.write(
      `${key.state.padEnd(8)} ${key.alg.padEnd(6)} ${key.kid} ${key.created_at}${until}\n`,
    );
  }
}

/**
 * `revocable keys list`: the signing keys and their states, from the database or a running service.
 *
 * @example
 * ```ts
 * await keysList(['--database', './revocable.db']);
 * ```
 */
export async function keysList(argv: readonly string[]): Promise<void> {
  const { flags, serviceArgs } = parseCommand(argv, { usage: USAGE.keysList, flags: { url: 'value' } });
  const config = loadConfig(serviceArgs, process.env);
  if (typeof flags['url'] === 'string') {
    const api = await AdminApi.connect(flags['url'], config, USAGE.keysList);
    printKeys((await api.call<{ keys: KeyWire[] }>('GET', '/admin/keys')).keys);
    return;
  }
  const records = await withStorage(config, USAGE.keysList, (s) => s.keys.list());
  if (records.length === 0) process.stdout.write('No signing keys yet: `revocable serve` makes them.\n');
  printKeys(
    records.map((r) =>
      keyToWire({
        kid: r.kid,
        alg: r.alg,
        state: r.state,
        createdAt: r.createdAt,
        verifyUntil: r.verifyUntil,
      }),
    ),
  );
}

/**
 * `revocable keys rotate`: next → active → retired, one compare-and-set in the database; running
 * services pick it up within `--key-reload-interval` (with `--url`, the service rotates itself).
 *
 * @example
 * ```ts
 * await keysRotate(['--database', './revocable.db']);
 * ```
 */
export async function keysRotate(argv: readonly string[]): Promise<void> {
  const { flags, serviceArgs } = parseCommand(argv, { usage: USAGE.keysRotate, flags: { url: 'value' } });
  const config = loadConfig(serviceArgs, process.env);
  if (typeof flags['url'] === 'string') {
    const api = await AdminApi.connect(flags['url'], config, USAGE.keysRotate);
    printKeys((await api.call<{ keys: KeyWire[] }>('POST', '/admin/keys/rotate')).keys);
    return;
  }
  const keys = await withStorage(config, USAGE.keysRotate, async (storage) => {
    const ring = await KeyRing.open({
      store: storage.keys,
      alg: config.alg,
      policy: config.revocationPolicy,
      reloadIntervalMs: 0,
    });
    try {
      await ring.rotate();
      return ring.list();
    } finally {
      await ring.close();
    }
  });
  printKeys(keys.map(keyToWire));
}

/**
 * `revocable keys rewrap`: re-seals every stored private key under `REVOCABLE_KEY_ENCRYPTION_KEY`
 * (opening the storage does it).
 *
 * @example
 * ```ts
 * await keysRewrap(['--database', './revocable.db']);
 * ```
 */
export async function keysRewrap(argv: readonly string[]): Promise<void> {
  const { serviceArgs } = parseCommand(argv, { usage: USAGE.keysRewrap });
  const config = loadConfig(serviceArgs, process.env);
  await withStorage(config, USAGE.keysRewrap, async () => {});
  const id = config.keyEncryption?.keyId;
  process.stdout.write(
    id === undefined
      ? 'signing keys are stored in plaintext.\n'
      : `signing keys are sealed with key-encryption key ${id}.\n`,
  );
}
