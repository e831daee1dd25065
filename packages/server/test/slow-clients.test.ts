// Slow and idle clients cannot hold the service's connections: a request must arrive whole within
// --request-timeout (a slowloris sending headers and one body byte is dropped), and --max-connections
// caps the sockets open at once.
import { connect, type Socket } from 'node:net';
import type { RunningService } from '@revocable/server';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, startService } from './support/service.js';

const sqlite = BACKENDS.find((b) => b.name === 'SQLite')!;
const REQUEST_TIMEOUT_MS = 1000;
// Node checks request timeouts on an interval (at most a quarter of the timeout here), plus slack.
const DROPPED_WITHIN_MS = REQUEST_TIMEOUT_MS + REQUEST_TIMEOUT_MS / 4 + 1000;

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await sqlite.cleanup();
});

async function service(flags: string[]): Promise<RunningService> {
  const running = await startService(await sqlite.fresh(), flags);
  cleanups.push(() => running.close());
  return running;
}

interface RawClient {
  readonly socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves with the ms from `since` when the server closes the connection (or after `giveUpMs`: -1). */
  closed(since: number, giveUpMs: number): Promise<number>;
}

async function rawClient(url: string): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  const socket = connect({ host: hostname === 'localhost' ? '127.0.0.1' : hostname, port: Number(port) });
  cleanups.push(() => socket.destroy());
  let text = '';
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1');
  });
  socket.on('error', () => undefined);
  const ended = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return {
    socket,
    received: () => text,
    async closed(since, giveUpMs) {
      const at = await Promise.race([
        ended,
        new Promise<number>((resolve) => setTimeout(() => resolve(-1), giveUpMs)),
      ]);
      return at === -1 ? -1 : at - since;
    },
  };
}

const head = (length: number) =>
  `POST /auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('slow clients, over HTTP', () => {
  it('control: a request sent slowly but whole within the timeout is answered', async () => {
    const running = await service(['--request-timeout', String(REQUEST_TIMEOUT_MS)]);
    const client = await rawClient(running.url);
    const body = JSON.stringify({ username: 'nobody-here', password: 'x'.repeat(31) });
    client.socket.write(head(body.length));
    for (const piece of [body.slice(0, 20), body.slice(20, 40), body.slice(40)]) {
      await new Promise((resolve) => setTimeout(resolve, 150));
      client.socket.write(piece);
    }
    const started = Date.now();
    while (!client.received().includes('\r\n\r\n') && Date.now() - started < 5000)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(client.received()).toMatch(/^HTTP\/1\.1 401 /);
  });

  it('a client that sends the headers and one body byte, then nothing, is dropped within the request timeout', async () => {
    const running = await service(['--request-timeout', String(REQUEST_TIMEOUT_MS)]);
    const client = await rawClient(running.url);
    const sentAt = Date.now();
    client.socket.write(`${head(60)}{`);
    const after = await client.closed(sentAt, 8000);
    expect(after).toBeGreaterThan(0); // closed by the server, not by our give-up timer
    expect(after).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(after).toBeLessThan(DROPPED_WITHIN_MS);
    expect(client.received()).toMatch(/^HTTP\/1\.1 408 |^$/);
  });

  it('a client that never finishes its headers is dropped the same way', async () => {
    const running = await service(['--request-timeout', String(REQUEST_TIMEOUT_MS)]);
    const client = await rawClient(running.url);
    const sentAt = Date.now();
    client.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    const after = await client.closed(sentAt, 8000);
    expect(after).toBeGreaterThan(0);
    expect(after).toBeLessThan(DROPPED_WITHIN_MS);
  });

  it('connections past --max-connections are closed on arrival; a freed slot serves again', async () => {
    const running = await service(['--max-connections', '3']);
    const held = [await rawClient(running.url), await rawClient(running.url), await rawClient(running.url)];
    // Control: the three held connections are served.
    held[0]!.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const started = Date.now();
    while (!held[0]!.received().includes('"ok"') && Date.now() - started < 5000)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(held[0]!.received()).toMatch(/^HTTP\/1\.1 200 /);

    const fourth = await rawClient(running.url);
    const refusedAfter = await fourth.closed(Date.now(), 3000);
    expect(refusedAfter).toBeGreaterThanOrEqual(0);
    expect(fourth.received()).toBe('');

    held[1]!.socket.destroy();
    await held[1]!.closed(Date.now(), 3000);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the server sees the close
    const fifth = await rawClient(running.url);
    fifth.socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const again = Date.now();
    while (!fifth.received().includes('"ok"') && Date.now() - again < 5000)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect(fifth.received()).toMatch(/^HTTP\/1\.1 200 /);
  });
});
