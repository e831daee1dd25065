import { afterAll, describe, expect, it, vi } from 'vitest';
import { type ServeProcess, startServeProcess } from './support/cli-process.js';
import { ADMIN_TOKEN, BACKENDS, backendAvailable, CLIENT, freePort } from './support/service.js';

const PASSWORD = 'correct horse battery staple';
const BASIC = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';
const SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const STREAM_UPDATED = 'https://schemas.openid.net/secevent/ssf/event-type/stream-updated';

const running = new Set<ServeProcess>();

async function serve(database: string, port: number, extra: string[] = []): Promise<ServeProcess> {
  const process = await startServeProcess([
    '--port',
    String(port),
    '--issuer',
    `http://localhost:${port}`,
    '--database',
    database,
    '--admin-token',
    ADMIN_TOKEN,
    '--clients',
    `${CLIENT.id}:${CLIENT.secret}`,
    '--log-level',
    'info',
    ...extra,
  ]);
  running.add(process);
  return process;
}

/**
 * Starts a process on a port found free just before. Another test process can take that port in
 * between (the free-port check cannot reserve it): on EADDRINUSE, another port is tried.
 */
async function serveFresh(database: string): Promise<{ process: ServeProcess; port: number; base: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    try {
      return { process: await serve(database, port), port, base: `http://localhost:${port}` };
    } catch (err) {
      if (attempt >= 3 || !String((err as Error).message).includes('EADDRINUSE')) throw err;
    }
  }
}

/** Ends a process without letting it finish anything: no graceful shutdown, no flush. */
async function kill(process: ServeProcess): Promise<void> {
  running.delete(process);
  const exited = new Promise((resolve) => process.child.once('exit', resolve));
  process.child.kill('SIGKILL');
  await exited;
}

async function call(base: string, method: string, path: string, body?: unknown, authorization?: string) {
  const response = await fetch(base + path, {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(authorization !== undefined && { authorization }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function logInAndOut(base: string, username: string): Promise<string> {
  await call(base, 'POST', '/auth/register', { username, password: PASSWORD });
  const { body } = await call(base, 'POST', '/auth/login', { username, password: PASSWORD });
  const out = await call(base, 'POST', '/auth/logout', undefined, `Bearer ${body.access_token}`);
  expect(out.status).toBe(204);
  return body.session_id as string;
}

/** The payload of a SET (the test reads it; the receiver-side verification is tested elsewhere). */
function claimsOf(set: string): {
  jti: string;
  txn?: string;
  events: Record<string, unknown>;
  sub_id?: { session?: { id?: string }; id?: string };
} {
  return JSON.parse(Buffer.from(set.split('.')[1]!, 'base64url').toString());
}

function sessionIdOf(set: string): string | undefined {
  const claims = claimsOf(set);
  if (!(SESSION_REVOKED in claims.events)) return undefined;
  return claims.sub_id?.session?.id ?? claims.sub_id?.id;
}

async function pollStream(base: string, streamId: string, ack: string[], maxEvents = 10) {
  const answer = await call(
    base,
    'POST',
    `/ssf/poll/${streamId}`,
    { ack, maxEvents, returnImmediately: true },
    BASIC,
  );
  expect(answer.status).toBe(200);
  return answer.body as { sets: Record<string, string>; moreAvailable: boolean };
}

async function rulesAt(base: string): Promise<{ rule: Record<string, string>; reason: string }[]> {
  return (await call(base, 'GET', '/revocations', undefined, `Bearer ${ADMIN_TOKEN}`)).body.events;
}

afterAll(async () => {
  for (const process of running) await process.stop();
  for (const backend of BACKENDS) await backend.cleanup();
});

for (const backend of BACKENDS) {
  const available = await backendAvailable(backend);
  describe.skipIf(!available)(`Shared Signals streams kept in the store (${backend.name})`, () => {
    it('serves a stream made on one process from another process on the same database', async () => {
      const database = await backend.fresh();
      const [portA, portB] = [await freePort(), await freePort()];
      const [a, b] = [`http://localhost:${portA}`, `http://localhost:${portB}`];
      await serve(database, portA);
      await serve(database, portB);
      const created = await call(a, 'POST', '/ssf/streams', { delivery: { method: POLL } }, BASIC);
      expect(created.status).toBe(201);
      const streamId = created.body.stream_id as string;
      const fromB = await call(b, 'GET', `/ssf/streams?stream_id=${streamId}`, undefined, BASIC);
      expect(fromB).toMatchObject({ status: 200, body: { stream_id: streamId, aud: CLIENT.id } });
      expect(
        (await call(b, 'POST', '/ssf/status', { stream_id: streamId, status: 'paused' }, BASIC)).status,
      ).toBe(200);
      expect((await call(a, 'GET', `/ssf/status?stream_id=${streamId}`, undefined, BASIC)).body).toEqual({
        stream_id: streamId,
        status: 'paused',
      });
      expect((await call(b, 'DELETE', `/ssf/streams?stream_id=${streamId}`, undefined, BASIC)).status).toBe(
        204,
      );
      expect((await call(a, 'GET', `/ssf/streams?stream_id=${streamId}`, undefined, BASIC)).status).toBe(404);
    }, 120_000);

    it('hands each queued SET once to a poller that acknowledges, across two processes polled at once', async () => {
      const database = await backend.fresh();
      const [portA, portB] = [await freePort(), await freePort()];
      const [a, b] = [`http://localhost:${portA}`, `http://localhost:${portB}`];
      await serve(database, portA);
      await serve(database, portB);
      const created = await call(a, 'POST', '/ssf/streams', { delivery: { method: POLL } }, BASIC);
      const streamId = created.body.stream_id as string;
      // Both processes follow the log: each revocation must still be queued once.
      const sessions: string[] = [];
      for (let i = 0; i < 6; i++) sessions.push(await logInAndOut(i % 2 === 0 ? a : b, `user${i}`));

      const received: string[] = [];
      const bySession = new Map<string, number>();
      const acks = [[], []] as string[][];
      await vi.waitFor(
        async () => {
          const answers = await Promise.all([
            pollStream(a, streamId, acks[0]!.splice(0), 2),
            pollStream(b, streamId, acks[1]!.splice(0), 2),
          ]);
          answers.forEach((answer, i) => {
            for (const [jti, set] of Object.entries(answer.sets)) {
              received.push(jti);
              acks[i]!.push(jti);
              const sid = sessionIdOf(set);
              if (sid !== undefined) bySession.set(sid, (bySession.get(sid) ?? 0) + 1);
            }
          });
          expect(sessions.every((sid) => bySession.has(sid))).toBe(true);
        },
        { timeout: 30_000, interval: 100 },
      );
      expect(new Set(received).size).toBe(received.length);
      expect([...bySession.values()].every((count) => count === 1)).toBe(true);
      // Acknowledged everywhere: nothing comes back from either process.
      await pollStream(a, streamId, acks[0]!.splice(0));
      await pollStream(b, streamId, acks[1]!.splice(0));
      for (const base of [a, b]) {
        expect(await pollStream(base, streamId, [])).toEqual({ sets: {}, moreAvailable: false });
      }
    }, 120_000);

    it('delivers by poll, after a kill and a restart, a revocation queued or made just before it', async () => {
      const database = await backend.fresh();
      const fresh = await serveFresh(database);
      const { port, base } = fresh;
      let process = fresh.process;
      const created = await call(base, 'POST', '/ssf/streams', { delivery: { method: POLL } }, BASIC);
      const streamId = created.body.stream_id as string;
      const first = await logInAndOut(base, 'before-kill-1');
      const second = await logInAndOut(base, 'before-kill-2');
      // Killed at once: the second revocation may not even have been queued yet.
      await kill(process);
      process = await serve(database, port);
      const seen = new Set<string>();
      await vi.waitFor(
        async () => {
          const { sets } = await pollStream(base, streamId, []);
          for (const set of Object.values(sets)) seen.add(sessionIdOf(set) ?? '');
          expect(seen.has(first) && seen.has(second)).toBe(true);
        },
        { timeout: 30_000, interval: 500 },
      );
    }, 120_000);

    it('holds revocations on a paused stream until it is enabled, and drops them on a disabled one (SSF 1.0 §8.1.2)', async () => {
      const database = await backend.fresh();
      const { base } = await serveFresh(database);
      const make = async () =>
        (await call(base, 'POST', '/ssf/streams', { delivery: { method: POLL } }, BASIC)).body
          .stream_id as string;
      const status = async (streamId: string, value: string) =>
        expect(
          (await call(base, 'POST', '/ssf/status', { stream_id: streamId, status: value }, BASIC)).status,
        ).toBe(200);
      // The transmitter queues a revocation on every stream in one pass, oldest stream first: once the
      // control stream (made second) has it, the stream under test has been dealt with too.
      const stream = await make();
      const control = await make();
      const controlHas = async (sid: string) =>
        vi.waitFor(
          async () => {
            const { sets } = await pollStream(base, control, []);
            expect(Object.values(sets).map(sessionIdOf)).toContain(sid);
          },
          { timeout: 30_000, interval: 200 },
        );
      const sessionsAt = async (streamId: string) => {
        const { sets } = await pollStream(base, streamId, [], 50);
        // Session events only: status changes also send stream-updated events.
        return Object.values(sets)
          .map(sessionIdOf)
          .filter((sid) => sid !== undefined);
      };

      await status(stream, 'paused');
      const held = await logInAndOut(base, 'while-paused');
      await controlHas(held);
      expect(await sessionsAt(stream)).toEqual([]); // paused: nothing is transmitted
      await status(stream, 'enabled');
      expect(await sessionsAt(stream)).toEqual([held]);

      await status(stream, 'disabled');
      const dropped = await logInAndOut(base, 'while-disabled');
      await controlHas(dropped);
      await status(stream, 'enabled');
      const after = await logInAndOut(base, 'after-enabling');
      await controlHas(after);
      const delivered = await sessionsAt(stream);
      expect(delivered).toContain(after); // control: the stream transmits again
      expect(delivered).not.toContain(dropped);
    }, 120_000);

    it('sends stream-updated when the status changes, held while paused and in order (SSF 1.0 §8.1.5)', async () => {
      const database = await backend.fresh();
      const { base } = await serveFresh(database);
      const created = await call(base, 'POST', '/ssf/streams', { delivery: { method: POLL } }, BASIC);
      const streamId = created.body.stream_id as string;
      const set = async (status: string, reason?: string) =>
        expect(
          (await call(base, 'POST', '/ssf/status', { stream_id: streamId, status, reason }, BASIC)).status,
        ).toBe(200);
      await set('enabled'); // control: no change, no event
      await set('paused', 'maintenance');
      await set('enabled');
      const { sets } = await pollStream(base, streamId, [], 10);
      const updates = Object.values(sets).map((jwt) => {
        const claims = claimsOf(jwt);
        return { subject: claims.sub_id, event: claims.events[STREAM_UPDATED] };
      });
      expect(updates).toEqual([
        { subject: { format: 'opaque', id: streamId }, event: { status: 'paused', reason: 'maintenance' } },
        { subject: { format: 'opaque', id: streamId }, event: { status: 'enabled' } },
      ]);
    }, 120_000);

    it('retries a push that failed before a kill, after the restart, until the receiver has it', async () => {
      const database = await backend.fresh();
      const receiverDb = await backend.fresh();
      const [port, receiverPort] = [await freePort(), await freePort()];
      const [base, receiverBase] = [`http://localhost:${port}`, `http://localhost:${receiverPort}`];
      const receiverArgs = [
        '--ssf-transmitter',
        `${base}/.well-known/ssf-configuration`,
        '--ssf-audience',
        CLIENT.id,
      ];
      let transmitter = await serve(database, port);
      let receiver = await serve(receiverDb, receiverPort, receiverArgs);
      const created = await call(
        base,
        'POST',
        '/ssf/streams',
        { delivery: { method: PUSH, endpoint_url: `${receiverBase}/ssf/push` } },
        BASIC,
      );
      const streamId = created.body.stream_id as string;
      await vi.waitFor(
        async () => {
          await call(base, 'POST', '/ssf/verify', { stream_id: streamId, state: 'ready?' }, BASIC);
          expect(receiver.output()).toMatch(/"action":"verified"/);
        },
        { timeout: 30_000, interval: 1_100 },
      );
      // The receiver goes away; the revocation's push fails and waits for a retry; then the transmitter dies.
      await receiver.stop();
      running.delete(receiver);
      const sid = await logInAndOut(base, 'pushed-after-restart');
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await kill(transmitter);
      receiver = await serve(receiverDb, receiverPort, receiverArgs);
      transmitter = await serve(database, port);
      const since = Date.now();
      await vi.waitFor(
        async () =>
          expect(
            (await rulesAt(receiverBase)).some(
              (e) => e.reason === 'shared_signal' && e.rule.kind === 'session' && e.rule.sid === sid,
            ),
          ).toBe(true),
        { timeout: 60_000, interval: 200 },
      );
      console.info(
        `Shared Signals push after a restart: rule at the receiver ${Date.now() - since} ms after`,
      );
    }, 180_000);
  });
}
