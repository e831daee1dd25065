import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./open-rings-at.ts', import.meta.url));

/** What one child saw in one round. */
export interface RingRound {
  readonly round: number;
  /** The kid the child's ring signs with. */
  readonly signing: string;
  /** Every kid the child's ring verifies with. */
  readonly verifies: string[];
  /** A token the child signed in that round. */
  readonly token: string;
}

/**
 * Starts `processes` children (TypeScript through tsx, `@revocable/*` from source) that open a key ring
 * on the same fresh tables at the same moment, `rounds` times (fresh tables each round), and resolves
 * what each child saw, one array per child.
 *
 * @example
 * ```ts
 * const [a, b] = await openRingsFromChildren(file, undefined, { processes: 2, rounds: 20 });
 * ```
 */
export async function openRingsFromChildren(
  url: string,
  schema: string | undefined,
  { processes, rounds }: { processes: number; rounds: number },
): Promise<RingRound[][]> {
  // Far enough ahead for every child to start and migrate its tables first.
  const startAt = Date.now() + 6_000;
  const runs = Array.from(
    { length: processes },
    () =>
      new Promise<RingRound[]>((resolve, reject) => {
        execFile(
          process.execPath,
          [
            '--conditions=source',
            '--import',
            'tsx',
            SCRIPT,
            url,
            schema ?? '-',
            String(rounds),
            String(startAt),
          ],
          { cwd: REPO_ROOT, timeout: 60_000 },
          (error, stdout, stderr) => {
            if (error) reject(new Error(`a key-ring child failed: ${stderr}`, { cause: error }));
            else
              resolve(
                stdout
                  .trim()
                  .split('\n')
                  .map((line) => JSON.parse(line) as RingRound),
              );
          },
        );
      }),
  );
  return Promise.all(runs);
}
