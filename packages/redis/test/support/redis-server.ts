// A private redis-server for tests and benchmarks, on a spare loopback port, without persistence, so
// the machine's own Redis is never touched and a restart really loses the data set.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { type AddressInfo, createConnection, createServer } from 'node:net';

let installed: boolean | undefined;

/**
 * Whether `redis-server` is on PATH. Outside CI a missing server means "skip, and say so"; with CI=true
 * it is an error, because CI must run these suites.
 */
export function redisServerAvailable(): boolean {
  if (installed === undefined) {
    const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    installed = probe.status === 0;
    if (!installed) {
      if (process.env.CI === 'true') throw new Error('redis-server is required in CI but is not on PATH');
      console.warn('redis-server is not on PATH: skipping the Redis suites.');
    }
  }
  return installed;
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

/** A redis-server process the caller owns. */
export class RedisServer {
  #child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly extraArgs: readonly string[],
  ) {}

  /** Starts a server on a spare port (or `port`); `extraArgs` are more `--name value` settings. */
  static async start(extraArgs: readonly string[] = [], port?: number): Promise<RedisServer> {
    const server = new RedisServer(port ?? (await freePort()), extraArgs);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Starts it again on the same port, empty. */
  async restart(): Promise<void> {
    if (this.#child) return;
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
        ...this.extraArgs,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    this.#child = child;
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (!(await ping(this.port))) {
      if (this.#child !== child) throw new Error(`redis-server on port ${this.port} exited at start`);
      if (Date.now() > deadline) throw new Error(`redis-server on port ${this.port} did not answer`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops it (SIGKILL: an outage, not a shutdown) and waits for the exit. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
    this.#child = undefined;
  }
}
