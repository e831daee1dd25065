import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./rotate-at.ts', import.meta.url));

/**
 * Starts `processes` children (TypeScript through tsx, `@revocable/*` from source) that each try
 * `perProcess` rotations of one refresh token in the SQLite `file` at the same moment, and resolves
 * every status they printed.
 *
 * @example
 * ```ts
 * const statuses = await rotateFromChildren(file, 'h1', { processes: 4, perProcess: 25 });
 * ```
 */
export async function rotateFromChildren(
  file: string,
  hash: string,
  { processes, perProcess }: { processes: number; perProcess: number },
): Promise<string[]> {
  // Far enough ahead for every child to start and open the store first.
  const startAt = Date.now() + 3_000;
  const runs = Array.from(
    { length: processes },
    () =>
      new Promise<string[]>((resolve, reject) => {
        execFile(
          process.execPath,
          ['--conditions=source', '--import', 'tsx', SCRIPT, file, hash, String(startAt), String(perProcess)],
          { cwd: REPO_ROOT, timeout: 25_000 },
          (error, stdout, stderr) => {
            if (error) reject(new Error(`a rotating child failed: ${stderr}`, { cause: error }));
            else resolve(JSON.parse(stdout) as string[]);
          },
        );
      }),
  );
  return (await Promise.all(runs)).flat();
}
