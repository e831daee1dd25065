// Real peers for the edge's suites: Debian's nginx and caddy, the JDK's `java` (single-file source
// launch), and `revocable edge` as its own process. Each runs unprivileged-style on a free loopback
// port with its own temporary prefix; each is stopped by the pid it was started with.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const RUN_CLI = fileURLToPath(new URL('../../../server/test/support/run-cli.ts', import.meta.url));
const TSX = new URL('../../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;
export const JAVA_DIR = fileURLToPath(new URL('../peers/', import.meta.url));

/** Where each peer's binary is looked for (Debian's packages). */
export const BINARIES = {
  nginx: '/usr/sbin/nginx',
  caddy: '/usr/bin/caddy',
  java: '/usr/bin/java',
} as const;

/**
 * Whether the binaries are installed. Outside CI a missing one skips the suite and says which and how
 * to install it; with CI=true it is a failure, because CI must run these suites.
 */
export function peersAvailable(names: readonly (keyof typeof BINARIES)[], suite: string): boolean {
  const missing = names.filter((name) => !existsSync(BINARIES[name]));
  if (missing.length === 0) return true;
  const message = `${suite}: ${missing.map((m) => BINARIES[m]).join(', ')} not installed (apt-get install -y ${missing.map((m) => (m === 'java' ? 'openjdk-17-jdk-headless' : m)).join(' ')})`;
  if (process.env.CI === 'true') throw new Error(`${message}: required in CI.`);
  console.warn(`${message}: skipping.`);
  return false;
}

/** A peer process, its output so far, and how to stop it. */
export interface Peer {
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

function started(
  child: ChildProcess,
  what: string,
  ready: () => Promise<boolean> | boolean,
  timeoutMs = 90_000,
): Promise<Peer> {
  let output = '';
  child.stdout?.on('data', (chunk) => (output += String(chunk)));
  child.stderr?.on('data', (chunk) => (output += String(chunk)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const peer: Peer = {
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const poll = async () => {
      if (child.exitCode !== null || child.signalCode !== null)
        return reject(new Error(`${what} exited before it was ready:\n${output}`));
      if (await ready()) return resolve(peer);
      if (Date.now() > deadline) {
        await peer.stop();
        return reject(new Error(`${what} was not ready in ${timeoutMs} ms:\n${output}`));
      }
      setTimeout(poll, 100);
    };
    void poll();
  }).then((p) => p as Peer);
}

/** Whether something accepts connections on the loopback port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `java <File>.java <args>` from the peers folder; ready when it printed `listening on`. */
export function startJava(file: string, args: readonly string[]): Promise<Peer> {
  const child = spawn(BINARIES.java, [join(JAVA_DIR, file), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let ready = false;
  child.stdout.on('data', (chunk) => {
    if (String(chunk).includes('listening on')) ready = true;
  });
  return started(child, file, () => ready);
}

/**
 * Runs a Java program to its end and answers its exit code and output (never rejects on a non-zero
 * exit). Asynchronous: the in-process service must keep feeding the edge meanwhile.
 */
export function runJava(file: string, args: readonly string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    execFile(
      BINARIES.java,
      [join(JAVA_DIR, file), ...args],
      { encoding: 'utf8', timeout: 60_000 },
      (error, stdout) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? (error.code as number) : 0, stdout });
      },
    );
  });
}

/** `revocable edge …` in its own process, from source; ready when it printed its `running at` line. */
export function startEdgeProcess(args: readonly string[], env: Record<string, string>): Promise<Peer> {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env))
    if (!name.startsWith('REVOCABLE_')) clean[name] = value;
  const child = spawn(process.execPath, ['--conditions=source', '--import', TSX, RUN_CLI, 'edge', ...args], {
    cwd: REPO_ROOT,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let ready = false;
  child.stdout.on('data', (chunk) => {
    if (String(chunk).includes('Revocable edge is running at')) ready = true;
  });
  return started(child, 'revocable edge', () => ready);
}

/** A temporary directory for one peer's configuration and state, removed by `remove()`. */
export function tempPrefix(name: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `revocable-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** nginx in the foreground with `conf` (its paths inside `dir`), ready when `port` accepts connections. */
export async function startNginx(dir: string, conf: string, port: number): Promise<Peer> {
  const file = join(dir, 'nginx.conf');
  writeFileSync(file, conf);
  const child = spawn(BINARIES.nginx, ['-p', dir, '-c', file, '-e', join(dir, 'error.log')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return started(child, 'nginx', () => listening(port), 30_000);
}

/** caddy with a Caddyfile, its data and config homes inside `dir`, ready when `port` accepts connections. */
export async function startCaddy(dir: string, caddyfile: string, port: number): Promise<Peer> {
  const file = join(dir, 'Caddyfile');
  writeFileSync(file, caddyfile);
  const child = spawn(BINARIES.caddy, ['run', '--config', file, '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      HOME: dir,
      XDG_DATA_HOME: join(dir, 'data'),
      XDG_CONFIG_HOME: join(dir, 'config'),
    },
  });
  return started(child, 'caddy', () => listening(port), 30_000);
}

/** Sends raw bytes on one connection and answers everything read until the peer closes it (or 10 s). */
export function rawExchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', reject);
  });
}
