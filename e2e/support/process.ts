// Child processes of the end-to-end suites: TypeScript modules run with tsx on the sources (the
// `source` export condition), watched for a ready line on stdout, killed with any signal.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A running child process. */
export class NodeProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #output = '';

  private constructor(
    readonly name: string,
    child: ChildProcess,
  ) {
    this.#child = child;
    live.add(child);
    this.#exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        live.delete(child);
        resolve(code);
      }),
    );
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /**
   * Starts `module` (a `file:` URL) with `args` and waits until a stdout line matches `ready`; resolves
   * with the process and that line's match. Rejects (killing it) on exit or after `timeoutMs`.
   */
  static start(
    name: string,
    module: URL,
    args: readonly string[],
    ready: RegExp,
    timeoutMs = 60_000,
  ): Promise<{ process: NodeProcess; match: RegExpExecArray }> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=source', fileURLToPath(module), ...args],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_ENV: 'test' } },
    );
    const handle = new NodeProcess(name, child);
    return new Promise((resolve, reject) => {
      let buffered = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${name} was not ready within ${timeoutMs} ms:\n${handle.output}`));
      }, timeoutMs);
      const onData = (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        const match = ready.exec(buffered);
        if (match) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          resolve({ process: handle, match });
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited at start (code ${code}, signal ${signal}):\n${handle.output}`));
      });
    });
  }

  get pid(): number {
    return this.#child.pid!;
  }

  /** The last 20,000 characters it wrote, for failure messages. */
  get output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Sends `signal` and waits for the exit (SIGKILL after `graceMs`). */
  async kill(signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.#child.kill(signal);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}
