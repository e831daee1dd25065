import { readFileSync } from 'node:fs';
import { RevocableError } from '@revocable/core';
import { OPTIONS, type OptionSpec } from './config-options.js';

/** A confidential client as the configuration file lists it (its `permissions` checked later). */
export interface FileClient {
  readonly id: string;
  readonly secret: string;
  readonly permissions: unknown;
}

/** What a configuration file says: option values (by flag), trusted issuers, clients. */
export interface ConfigFile {
  /** Option values by flag name, as the environment would give them (strings). */
  readonly options: ReadonlyMap<string, string>;
  /** The raw `trustedIssuers` array; checked by `parseTrustedIssuers`. */
  readonly trustedIssuers: unknown;
  /** The raw `sharedSignals` object; checked by `transmittersOfFile`. */
  readonly sharedSignals: unknown;
  /** `clients` as objects with permissions; `undefined` when the file has none or gives the string form. */
  readonly clients: readonly FileClient[] | undefined;
}

/** Largest configuration file read, bytes. */
const MAX_FILE_BYTES = 1024 * 1024;

/** Members of the file that are not options. */
const STRUCTURED = new Set(['trustedIssuers', 'sharedSignals', '$schema']);

function invalid(where: string, why: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', `Invalid configuration file: ${where} ${why}`);
}

/** The file key of a flag: its camelCase (`access-token-ttl` → `accessTokenTtl`). */
export function fileKeyOf(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

const SPEC_BY_KEY = new Map<string, OptionSpec>(
  OPTIONS.filter((o) => o.flag !== 'config').map((o) => [fileKeyOf(o.flag), o]),
);

/** An option's value in the file, as the text its flag would take. Secrets are never echoed. */
function optionText(spec: OptionSpec, key: string, value: unknown): string {
  switch (spec.kind) {
    case 'switch':
      if (typeof value !== 'boolean') throw invalid(key, 'must be true or false.');
      return value ? 'true' : 'false';
    case 'port':
    case 'seconds':
    case 'milliseconds':
    case 'count':
      if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
      if (typeof value === 'string') return value;
      throw invalid(key, 'must be a whole number.');
    case 'list':
      if (Array.isArray(value) && value.every((entry) => typeof entry === 'string' && !entry.includes(','))) {
        return value.join(',');
      }
      if (typeof value === 'string') return value;
      throw invalid(key, 'must be an array of strings (or one comma-separated string).');
    default:
      if (typeof value !== 'string') throw invalid(key, 'must be a string.');
      return value;
  }
}

function clientsOf(value: unknown): { text?: string; clients?: FileClient[] } {
  if (typeof value === 'string') return { text: value };
  if (!Array.isArray(value)) throw invalid('clients', 'must be an array of { id, secret, permissions? }.');
  return {
    clients: value.map((entry, index) => {
      const where = `clients[${index}]`;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw invalid(where, 'must be an object { id, secret, permissions? }.');
      }
      const { id, secret, permissions, ...rest } = entry as Record<string, unknown>;
      const unknown = Object.keys(rest)[0];
      if (unknown !== undefined) throw invalid(`${where}.${unknown.slice(0, 64)}`, 'is not a known field.');
      if (typeof id !== 'string' || !/^[A-Za-z0-9._~-]{1,128}$/.test(id)) {
        throw invalid(`${where}.id`, 'must be 1 to 128 letters, digits or ._~- characters.');
      }
      if (typeof secret !== 'string' || secret.length < 16) {
        throw invalid(`${where}.secret`, 'must be a string of at least 16 characters.');
      }
      return { id, secret, permissions };
    }),
  };
}

/**
 * Reads a JSON configuration file (`--config`, `REVOCABLE_CONFIG`). Its members are the flags in
 * camelCase (`"accessTokenTtl": 600`), plus `trustedIssuers`, `sharedSignals` and `clients` as
 * objects with `permissions`. Flags and environment variables override the file. Throws `ERR_CONFIG_INVALID`
 * naming the file's field (never its secret values) for anything it cannot take.
 *
 * @example
 * ```ts
 * const file = readConfigFile('revocable.json');
 * file.options.get('access-token-ttl'); // '600'
 * ```
 */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_FILE_BYTES) throw invalid(path, `is larger than ${MAX_FILE_BYTES} bytes.`);
    text = bytes.toString('utf8');
  } catch (cause) {
    if (cause instanceof RevocableError) throw cause;
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      `Invalid configuration: --config ${path} cannot be read (${(cause as NodeJS.ErrnoException).code ?? 'error'}).`,
    );
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw invalid(path, 'is not valid JSON (YAML is not read: convert it to JSON).');
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw invalid(path, 'must hold one JSON object.');
  }
  const options = new Map<string, string>();
  let clients: FileClient[] | undefined;
  for (const [key, value] of Object.entries(document)) {
    if (STRUCTURED.has(key)) continue;
    if (key === 'clients') {
      const read = clientsOf(value);
      if (read.text !== undefined) options.set('clients', read.text);
      clients = read.clients;
      continue;
    }
    const spec = SPEC_BY_KEY.get(key);
    if (spec === undefined) {
      throw invalid(
        key.slice(0, 64),
        'is not a known setting (members are the flags in camelCase, e.g. accessTokenTtl).',
      );
    }
    options.set(spec.flag, optionText(spec, key, value));
  }
  return {
    options,
    trustedIssuers: (document as Record<string, unknown>)['trustedIssuers'],
    sharedSignals: (document as Record<string, unknown>)['sharedSignals'],
    clients,
  };
}
