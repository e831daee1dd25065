import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const RUN_CLI = fileURLToPath(new URL('./run-cli.ts', import.meta.url));
// tsx by its file, so the command may run in any working directory.
const TSX = new URL('../../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
const NODE_ARGS = ['--conditions=source', '--import', TSX, RUN_CLI];

/** What one `revocable …` process did. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment without any REVOCABLE_* setting of the caller's, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith('REVOCABLE_')) env[name] = value;
  return { ...env, ...extra };
}

/**
 * Runs the real `revocable` command (from source) in its own process and resolves its exit code and
 * output; never rejects on a non-zero exit.
 */
export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [...NODE_ARGS, ...args],
      { cwd: options.cwd ?? REPO_ROOT, env: cleanEnv(options.env), timeout: 60_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/** A `revocable serve` process, its output so far, and how to stop it. */
export interface ServeProcess {
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `revocable serve …` in its own process and resolves once it printed `ready` (or rejects
 * with its output when it exits first).
 */
export function startServeProcess(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; ready?: RegExp } = {},
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...NODE_ARGS, 'serve', ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: cleanEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += String(chunk)));
  child.stderr!.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const handle: ServeProcess = {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  const ready = options.ready ?? /Revocable is running at .*\n(.*\n)*Admin API and console: .*\n/;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void handle.stop();
      reject(new Error(`revocable serve did not start in time:\n${output}`));
    }, 45_000);
    const check = () => {
      if (!ready.test(output)) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      resolve(handle);
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`revocable serve exited with ${code}:\n${output}`));
    });
  });
}
