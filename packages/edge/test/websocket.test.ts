// WebSocket upgrades through the edge (--websocket): the same gate as plain requests, the identity on
// the upstream's handshake, the client's X-Revocable-* headers never; and, with it on, an `h2c`
// upgrade offer is refused rather than mistaken for a WebSocket.
import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { type RunningEdge, startEdge } from '@revocable/edge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange } from './support/peers.js';
import { CLIENT, freePort, startTestService, type TestService } from './support/service.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
let service: TestService;
let upstream: Server;
let edge: RunningEdge;
const handshakes: IncomingHttpHeaders[] = [];
const upstreamSockets: { destroy(): void }[] = [];

beforeAll(async () => {
  service = await startTestService();
  upstream = createServer((_req, res) => res.end('plain'));
  upstream.on('upgrade', (req, socket) => {
    handshakes.push(req.headers);
    upstreamSockets.push(socket);
    const accept = createHash('sha1').update(`${req.headers['sec-websocket-key']}${GUID}`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  edge = await startEdge({
    service: service.issuer,
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    port: await freePort(),
    upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    websocket: true,
  });
});
afterAll(async () => {
  await edge?.close();
  for (const socket of upstreamSockets) socket.destroy();
  upstream?.closeAllConnections();
  await new Promise((resolve) => upstream?.close(resolve));
  await service?.service.close();
});

function upgrade(headers: Record<string, string>): Promise<string> {
  const lines = [
    'GET /stream HTTP/1.1',
    'Host: x',
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Key: ${Buffer.from('0123456789abcdef').toString('base64')}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    '',
    '',
  ];
  // The 101 keeps the socket open: read up to the end of the answer's head, then hang up.
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(edge.url).port), '127.0.0.1', () =>
      socket.write(lines.join('\r\n')),
    );
    let text = '';
    const done = () => {
      socket.destroy();
      resolve(text);
    };
    const timer = setTimeout(done, 10_000);
    socket.on('data', (chunk) => {
      text += chunk.toString();
      if (text.includes('\r\n\r\n')) {
        clearTimeout(timer);
        done();
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    socket.on('error', reject);
  });
}

describe('WebSocket upgrades through the edge', () => {
  it('control: a valid token is switched, and the upstream handshake carries the identity only', async () => {
    const { access_token } = await service.mint('wendy');
    const before = handshakes.length;
    const answer = await upgrade({ Authorization: `Bearer ${access_token}`, 'X-Revocable-Sub': 'admin' });
    expect(answer).toMatch(/^HTTP\/1\.1 101/);
    // The edge switches the client first, then opens its own handshake with the upstream.
    for (const end = Date.now() + 10_000; handshakes.length === before && Date.now() < end; )
      await new Promise((resolve) => setTimeout(resolve, 20));
    const seen = handshakes[before]!;
    expect(seen['x-revocable-sub']).toBe('wendy');
    expect(seen['authorization']).toBe(`Bearer ${access_token}`);
    expect(Object.values(seen)).not.toContain('admin');
  });

  it('no token: 401 with the challenge, and the upstream never sees a handshake', async () => {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = handshakes.length;
    const answer = await rawExchange(
      Number(new URL(edge.url).port),
      'GET /stream HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2RlZg==\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
    expect(answer).toContain('Bearer realm="api"');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(handshakes.length).toBe(before);
  });

  it('an h2c upgrade offer is refused with 400 while WebSocket proxying is on', async () => {
    const answer = await rawExchange(
      Number(new URL(edge.url).port),
      'GET /x HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(answer).toContain('ERR_BAD_REQUEST');
  });
});
