// HttpFeedSource (packages/core/src/feed/http-source.ts): a stream that goes silent without closing is
// a dead connection. Each case runs against a scripted SSE server on loopback that decides, per
// connection, whether to talk or to hold the connection open and say nothing.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FeedMessage, HttpFeedSource, type RevocationEvent } from '@revocable/core';
import { afterEach, describe, expect, it } from 'vitest';

function event(seq: number): RevocationEvent {
  const expiresAt = Date.now() + 600_000;
  return {
    seq,
    rule: { kind: 'token', tokenId: `jti-${seq}`, expiresAt },
    reason: 'logout',
    actor: 'user:u1',
    recordedAt: 0,
    forgetAfter: expiresAt,
  };
}

const sseEvent = (e: RevocationEvent) => `id: ${e.seq}\nevent: revocation\ndata: ${JSON.stringify(e)}\n\n`;
const sseBeat = (seq: number) => `event: heartbeat\ndata: ${JSON.stringify({ seq, at: Date.now() })}\n\n`;

/** How the server treats its n-th stream request (0-based). */
type Script = (n: number, request: IncomingMessage, response: ServerResponse) => void;

interface Harness {
  readonly url: string;
  /** When each stream request arrived (ms) and the Last-Event-ID it carried. */
  readonly requests: { at: number; lastEventId: string | undefined }[];
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function scriptedServer(script: Script): Promise<Harness> {
  const requests: Harness['requests'] = [];
  const open = new Set<ServerResponse>();
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((request, response) => {
    const lastEventId = request.headers['last-event-id'];
    requests.push({ at: Date.now(), lastEventId: typeof lastEventId === 'string' ? lastEventId : undefined });
    open.add(response);
    response.on('close', () => open.delete(response));
    script(requests.length - 1, request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const timer of timers) clearInterval(timer);
    for (const response of open) response.destroy();
    server.close();
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests };
}

const streamHead = (response: ServerResponse) => {
  response.writeHead(200, { 'content-type': 'text/event-stream' });
  response.write('retry: 1000\n\n');
};

/** Talks: the events after Last-Event-ID up to `lastSeq`, then a heartbeat every 50 ms. */
function talk(lastSeq: number) {
  return (request: IncomingMessage, response: ServerResponse) => {
    streamHead(response);
    for (let seq = Number(request.headers['last-event-id'] ?? 0) + 1; seq <= lastSeq; seq++)
      response.write(sseEvent(event(seq)));
    const timer = setInterval(() => response.write(sseBeat(lastSeq)), 50);
    response.on('close', () => clearInterval(timer));
    response.write(sseBeat(lastSeq));
  };
}

function follow(url: string, options: { heartbeatTimeoutMs: number; maxBackoffMs?: number }) {
  const messages: FeedMessage[] = [];
  const errors: unknown[] = [];
  const source = new HttpFeedSource({
    url,
    clientId: 'api',
    clientSecret: 'api-secret-0123456789',
    ...options,
  });
  const stop = source.follow(
    0,
    (message) => messages.push(message),
    (error) => errors.push(error),
  );
  cleanups.unshift(stop);
  return { messages, errors };
}

async function until(condition: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const seqs = (messages: FeedMessage[]) => messages.flatMap((m) => (m.type === 'event' ? [m.event.seq] : []));

describe('HttpFeedSource heartbeat watchdog', () => {
  it('control: a stream that keeps sending heartbeats stays on one connection', async () => {
    const server = await scriptedServer((_n, request, response) => talk(1)(request, response));
    // 40 heartbeat intervals of margin: a loaded CI machine can stall timers for a few hundred ms.
    const { messages } = follow(server.url, { heartbeatTimeoutMs: 2000 });
    await until(() => messages.filter((m) => m.type === 'heartbeat').length >= 20, 5000);
    expect(server.requests).toHaveLength(1);
    expect(seqs(messages)).toEqual([1]);
  });

  it('a stream that goes silent without closing is reopened after the last seq it delivered', async () => {
    const server = await scriptedServer((n, request, response) => {
      if (n === 0) {
        // Seq 1 and one heartbeat, then nothing: the connection stays open, no byte, no error.
        streamHead(response);
        response.write(sseEvent(event(1)));
        response.write(sseBeat(1));
        return;
      }
      talk(2)(request, response);
    });
    const { messages, errors } = follow(server.url, { heartbeatTimeoutMs: 300 });
    await until(() => seqs(messages).includes(2), 5000);
    expect(server.requests[1]?.lastEventId).toBe('1');
    expect(seqs(messages)).toEqual([1, 2]);
    expect(errors[0]).toMatchObject({
      code: 'ERR_LOG_UNAVAILABLE',
      message: expect.stringMatching(/silent/),
    });
  });

  it('a stream whose response never starts is abandoned the same way', async () => {
    const server = await scriptedServer((n, request, response) => {
      if (n === 0) return; // the request is read, no status line ever comes
      talk(1)(request, response);
    });
    const { messages } = follow(server.url, { heartbeatTimeoutMs: 300 });
    await until(() => seqs(messages).includes(1), 5000);
    expect(server.requests[1]?.lastEventId).toBe('0');
  });

  it('connections that keep going silent are retried with a growing backoff (a 200 is not a recovery)', async () => {
    const server = await scriptedServer((_n, _request, response) => streamHead(response));
    follow(server.url, { heartbeatTimeoutMs: 100, maxBackoffMs: 5000 });
    await until(() => server.requests.length >= 5, 10_000);
    const at = server.requests.map((r) => r.at);
    // Each gap is the silence (100 ms) plus the backoff: 100, 200, 400, 800 ms.
    const first = at[1]! - at[0]!;
    const last = at[4]! - at[3]!;
    expect(last - first).toBeGreaterThan(400);
  });
});
