// A hung database must not hang the service. PostgreSQL is frozen by a TCP proxy between the service
// and the server that stops forwarding without closing (a stopped or partitioned server); SQLite by
// another connection holding the write lock (another process writing). Every request that needs the
// database fails within the configured timeouts with 503 ERR_LOG_UNAVAILABLE, /readyz answers within
// its own bound, and the service recovers when the database does.
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FreezableTcpProxy } from '../../core/test/support/tcp-proxy.js';
import { BACKENDS, backendAvailable, Http, startService } from './support/service.js';

const PASSWORD = 'correct horse battery';
const CONNECT_TIMEOUT_MS = 1000;
const STATEMENT_TIMEOUT_MS = 1000;
const READY_TIMEOUT_MS = 500;
const CLIENT_GRACE_MS = 1000; // the pg client gives up this long after statement_timeout
const FLAGS = [
  '--db-connect-timeout',
  String(CONNECT_TIMEOUT_MS),
  '--db-statement-timeout',
  String(STATEMENT_TIMEOUT_MS),
  '--ready-timeout',
  String(READY_TIMEOUT_MS),
];
/** A request that needs the database: a connection, then a statement, then slack for the machine. */
const DB_REQUEST_BOUND_MS = CONNECT_TIMEOUT_MS + STATEMENT_TIMEOUT_MS + CLIENT_GRACE_MS + 1000;
const READY_BOUND_MS = READY_TIMEOUT_MS + 700;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** One request with its answer time; aborted (status 0) after 10 s so a hang fails the test, not the run. */
async function timed(
  base: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: any; ms: number }> {
  const started = Date.now();
  try {
    const response = await fetch(base + path, {
      method,
      signal: AbortSignal.timeout(10_000),
      ...(body !== undefined && {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, ms: Date.now() - started };
  } catch {
    return { status: 0, body: undefined, ms: Date.now() - started };
  }
}

async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not recovered within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const postgres = BACKENDS.find((b) => b.name === 'PostgreSQL')!;
const postgresUp = await backendAvailable(postgres);

describe.skipIf(!postgresUp)('PostgreSQL frozen behind a proxy, over HTTP', () => {
  afterAll(() => postgres.cleanup());

  async function serviceThroughProxy() {
    const direct = new URL(await postgres.fresh());
    const proxy = await FreezableTcpProxy.start(Number(direct.port || 5432));
    cleanups.push(() => proxy.close());
    const throughProxy = new URL(direct);
    throughProxy.hostname = '127.0.0.1';
    throughProxy.port = String(proxy.port);
    const service = await startService(throughProxy.toString(), FLAGS);
    cleanups.push(() => service.close());
    const http = new Http(service.url);
    expect((await http.post('/auth/register', { username: 'frozen-db', password: PASSWORD })).status).toBe(
      201,
    );
    return { proxy, service };
  }

  it('readyz and a login answer 503 within their bounds while it is frozen, and work again after', async () => {
    const { proxy, service } = await serviceThroughProxy();
    // Control: healthy through the proxy, so the 503s below are the freeze's doing.
    expect((await timed(service.url, 'GET', '/readyz')).status).toBe(200);
    expect(
      (await timed(service.url, 'POST', '/auth/login', { username: 'frozen-db', password: PASSWORD })).status,
    ).toBe(200);

    proxy.freeze();
    const ready = await timed(service.url, 'GET', '/readyz');
    expect(ready).toMatchObject({ status: 503, body: { status: 'not_ready', database: 'timeout' } });
    expect(ready.ms).toBeLessThan(READY_BOUND_MS);

    const login = await timed(service.url, 'POST', '/auth/login', {
      username: 'frozen-db',
      password: PASSWORD,
    });
    expect(login).toMatchObject({ status: 503, body: { error: 'ERR_LOG_UNAVAILABLE' } });
    expect(login.body.message).not.toMatch(/postgres|127\.0\.0\.1/); // no database location
    expect(login.ms).toBeLessThan(DB_REQUEST_BOUND_MS);

    // Polled again while still frozen: still bounded (the probe does not queue behind the hung ping).
    const again = await timed(service.url, 'GET', '/readyz');
    expect(again.status).toBe(503);
    expect(again.ms).toBeLessThan(READY_BOUND_MS);

    proxy.thaw();
    await eventually(async () => (await timed(service.url, 'GET', '/readyz')).status === 200, 10_000);
    expect(
      (await timed(service.url, 'POST', '/auth/login', { username: 'frozen-db', password: PASSWORD })).status,
    ).toBe(200);
  });

  it('connections that die silently are dropped from the pool, not handed out again', async () => {
    const { proxy, service } = await serviceThroughProxy();
    // Several pooled connections, then every one of them goes half-open for good (new ones work).
    await Promise.all(
      Array.from({ length: 4 }, () =>
        timed(service.url, 'POST', '/auth/login', { username: 'frozen-db', password: PASSWORD }),
      ),
    );
    proxy.halfOpen();
    const started = Date.now();
    const statuses: number[] = [];
    // Each request either finds a live connection or spends one dead one; soon only live ones remain.
    await eventually(async () => {
      const answers = await Promise.all(
        Array.from({ length: 3 }, () =>
          timed(service.url, 'POST', '/auth/login', { username: 'frozen-db', password: PASSWORD }),
        ),
      );
      statuses.push(...answers.map((a) => a.status));
      for (const answer of answers) expect(answer.ms).toBeLessThan(DB_REQUEST_BOUND_MS);
      return answers.every((a) => a.status === 200);
    }, 20_000);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(Date.now() - started).toBeLessThan(20_000);
    // And it stays healthy: no dead connection is left to draw.
    for (let i = 0; i < 5; i++) expect((await timed(service.url, 'GET', '/readyz')).status).toBe(200);
  }, 40_000);
});

const sqlite = BACKENDS.find((b) => b.name === 'SQLite')!;

describe('SQLite write lock held by another connection, over HTTP', () => {
  afterAll(() => sqlite.cleanup());

  it('the service keeps answering while a write waits, the write fails 503 after the statement timeout, and works once the lock is free', async () => {
    const file = await sqlite.fresh();
    const service = await startService(file, FLAGS);
    cleanups.push(() => service.close());
    const holder = new BetterSqlite3(file);
    cleanups.push(() => holder.close());
    // Control: a registration and /healthz with the lock free.
    expect(
      (await timed(service.url, 'POST', '/auth/register', { username: 'free', password: PASSWORD })).status,
    ).toBe(201);

    holder.exec('begin immediate');
    const write = timed(service.url, 'POST', '/auth/register', { username: 'locked', password: PASSWORD });
    // While the write waits for the lock, the process is not blocked: /healthz answers at once.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const health = await timed(service.url, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.ms).toBeLessThan(300);
    const refused = await write;
    expect(refused).toMatchObject({ status: 503, body: { error: 'ERR_LOG_UNAVAILABLE' } });
    expect(refused.ms).toBeLessThan(STATEMENT_TIMEOUT_MS + 1000);

    holder.exec('commit');
    expect(
      (await timed(service.url, 'POST', '/auth/register', { username: 'locked', password: PASSWORD })).status,
    ).toBe(201);
  });
});
