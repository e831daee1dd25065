import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./append-until-killed.ts', import.meta.url));

/** A child process appending to a SQLite file, and what it has acknowledged so far. */
export interface ChildAppender {
  readonly process: ChildProcess;
  /** Every seq the child printed as acknowledged. */
  readonly acknowledged: number[];
  /** Resolves the signal that ended the child (null when it exited by itself with code 0). */
  readonly exited: Promise<NodeJS.Signals | null>;
}

/**
 * Starts `append-until-killed.ts` on `file` (TypeScript through tsx, `@revocable/*` from source).
 * `onAck` runs after each acknowledgement line, e.g. to kill the child at a chosen moment.
 *
 * @example
 * ```ts
 * const child = startChildAppender(file, { batches: 50 });
 * await child.exited;
 * ```
 */
export function startChildAppender(
  file: string,
  options: { batches?: number; onAck?: (child: ChildAppender) => void; timeoutMs?: number } = {},
): ChildAppender {
  const args = ['--conditions=source', '--import', 'tsx', SCRIPT, file];
  if (options.batches !== undefined) args.push(String(options.batches));
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const acknowledged: number[] = [];
  let stderr = '';
  let pending = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child appender did not finish in time: ${stderr}`));
    }, options.timeoutMs ?? 25_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === null && code !== 0)
        reject(new Error(`the child appender exited with ${code}: ${stderr}`));
      else resolve(signal);
    });
  });
  const appender: ChildAppender = { process: child, acknowledged, exited };
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('ack ')) continue;
      acknowledged.push(...line.slice(4).split(' ').map(Number));
      options.onAck?.(appender);
    }
  });
  return appender;
}
