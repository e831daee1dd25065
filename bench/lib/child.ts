// A benchmark's helper process: a TypeScript module forked with the parent's loader flags (tsx,
// `--conditions=source`), talking over IPC with numbered requests. The child's stdout goes to the
// parent's stderr, so the parent's stdout keeps only the report (its last line is the JSON).
//
// Parent: `const child = await startChild<Ready>(url, args, log); await child.request('stats'); await child.close();`
// Child:  `await serveParent({ stats: () => ..., close: async () => ... }, ready);`
import { type ChildProcess, fork } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

/** CPU time of a process (user + system) with a wall-clock reading, both in microseconds. */
export interface CpuReading {
  readonly cpuUs: number;
  readonly wallUs: number;
}

/** This process's {@link CpuReading}; a child answers it for a `cpu` op so the parent can see its load. */
export function cpuReading(): CpuReading {
  const usage = process.cpuUsage();
  return { cpuUs: usage.user + usage.system, wallUs: Number(process.hrtime.bigint() / 1000n) };
}

/** Cores a process used between two readings (1.0 = one core busy all the time). */
export function coresBetween(before: CpuReading, after: CpuReading): number {
  return (after.cpuUs - before.cpuUs) / (after.wallUs - before.wallUs);
}

/**
 * The machine's 1-minute load average at the start and now, for the notes: on a shared 2-core machine,
 * figures taken while other work runs are lower and noisier, and the reader should know.
 */
export function loadAverage(atStart: number): string {
  return `load average (1 min) ${atStart.toFixed(1)} at start, ${os.loadavg()[0]!.toFixed(1)} at end`;
}

/** A message from the child: its ready payload, a reply to request `id`, or a start-up failure. */
type FromChild =
  | { readonly kind: 'ready'; readonly payload: unknown }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'reply'; readonly id: number; readonly result?: unknown; readonly error?: string };

/** A message to the child: request `id` of operation `op`. */
interface ToChild {
  readonly kind: 'request';
  readonly id: number;
  readonly op: string;
  readonly arg?: unknown;
}

/** A running helper process. */
export interface ChildHandle<Ready> {
  readonly pid: number;
  /** What the child sent when it was ready. */
  readonly ready: Ready;
  /** Asks the child to run `op` and resolves with its answer; rejects if the child fails or exits. */
  request<T>(op: string, arg?: unknown): Promise<T>;
  /** Asks the child to clean up (`close` op) and waits for it to exit; kills it after `timeoutMs`. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * Forks `module` (a `file:` URL, usually `new URL('./x.ts', import.meta.url)`) with the parent's
 * `execArgv` and waits for its ready message (rejects after `startTimeoutMs`, killing it).
 */
export function startChild<Ready>(
  module: URL,
  args: readonly string[],
  log: (line: string) => void,
  startTimeoutMs = 120_000,
): Promise<ChildHandle<Ready>> {
  const child: ChildProcess = fork(fileURLToPath(module), [...args], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let exited = false;
  let closeSent = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  return new Promise<ChildHandle<Ready>>((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      rejectStart(new Error(`helper ${module.pathname} did not start within ${startTimeoutMs} ms`));
      child.kill();
    }, startTimeoutMs);

    child.once('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      const error = new Error(`helper ${module.pathname} exited (code ${code}, signal ${signal})`);
      rejectStart(error);
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    });

    child.on('message', (raw) => {
      const message = raw as FromChild;
      if (message.kind === 'failed') {
        clearTimeout(timer);
        rejectStart(new Error(`helper ${module.pathname} failed to start: ${message.error}`));
        child.kill();
      } else if (message.kind === 'ready') {
        clearTimeout(timer);
        const handle: ChildHandle<Ready> = {
          pid: child.pid!,
          ready: message.payload as Ready,
          request<T>(op: string, arg?: unknown): Promise<T> {
            if (exited || closeSent) return Promise.reject(new Error(`helper ${module.pathname} is closed`));
            if (op === 'close') closeSent = true;
            const id = nextId++;
            return new Promise<T>((resolve, reject) => {
              pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
              const request: ToChild = { kind: 'request', id, op, ...(arg !== undefined && { arg }) };
              child.send(request);
            });
          },
          async close(timeoutMs = 15_000): Promise<void> {
            if (exited) return;
            const killer = setTimeout(() => {
              log(`helper ${child.pid} did not exit within ${timeoutMs} ms: killing it`);
              child.kill('SIGKILL');
            }, timeoutMs);
            if (!closeSent) {
              try {
                await handle.request('close');
              } catch (err) {
                log(`helper close: ${(err as Error).message}`);
              }
            }
            await exitedPromise;
            clearTimeout(killer);
          },
        };
        resolveStart(handle);
      } else if (message.kind === 'reply') {
        const waiter = pending.get(message.id);
        if (!waiter) return;
        pending.delete(message.id);
        if (message.error !== undefined) waiter.reject(new Error(message.error));
        else waiter.resolve(message.result);
      }
    });
  });
}

/** Operations a child answers; `close` should release everything (the child exits after it). */
export type ChildHandlers = Record<string, (arg: unknown) => unknown>;

/**
 * Child side: runs `setup`, sends its result as the ready payload, then answers requests with
 * `handlers` until the `close` op has run (then exits) or the parent goes away.
 */
export async function serveParent<Ready>(setup: () => Promise<{ ready: Ready; handlers: ChildHandlers }>) {
  if (!process.send) throw new Error('serveParent: not started with an IPC channel (use startChild)');
  // Resolves once the message is handed to the channel, so a disconnect after it cannot drop it.
  const send = (message: FromChild) =>
    new Promise<void>((resolve) => {
      if (!process.connected) resolve();
      else process.send!(message, undefined, {}, () => resolve());
    });
  try {
    const started = await setup();
    const { handlers } = started;
    let closing: Promise<unknown> | undefined;
    const closeOnce = () => {
      closing ??= Promise.resolve().then(() => handlers['close']?.(undefined));
      return closing;
    };
    process.on('message', (raw) => {
      const message = raw as ToChild;
      if (message.kind !== 'request') return;
      const handler = message.op === 'close' ? closeOnce : handlers[message.op];
      Promise.resolve()
        .then(() => {
          if (!handler) throw new Error(`unknown op ${message.op}`);
          return handler(message.arg);
        })
        .then(
          (result) => send({ kind: 'reply', id: message.id, result }),
          (err: unknown) =>
            send({
              kind: 'reply',
              id: message.id,
              error: err instanceof Error ? (err.stack ?? err.message) : String(err),
            }),
        )
        .finally(() => {
          if (message.op === 'close' && process.connected) process.disconnect();
        });
    });
    // Disconnected: after `close`, or because the parent went away. Clean up once and leave.
    process.once('disconnect', () => {
      closeOnce()
        .catch(() => {})
        .finally(() => process.exit(0));
    });
    await send({ kind: 'ready', payload: started.ready });
  } catch (err) {
    await send({ kind: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    if (process.connected) process.disconnect();
    process.exitCode = 1;
  }
}
