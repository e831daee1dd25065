import { readFileSync } from 'node:fs';

/**
 * The version of `@revocable/server` (its package.json), which `revocable --version` prints.
 *
 * @example
 * ```ts
 * packageVersion(); // '0.1.0'
 * ```
 */
export function packageVersion(): string {
  // src/commands/ and dist/commands/ are both two levels below the package's root.
  const file = new URL('../../package.json', import.meta.url);
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
