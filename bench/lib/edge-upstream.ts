// The upstream of the `edge` suite, run as its own process by bench/edge.ts (startChild): a plain Node
// HTTP server (what a non-Node API costs is not the point) answering `GET /resource` with a small JSON
// body that echoes the identity the edge forwarded. It reports CPU time on request.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpuReading, serveParent } from './child.js';

/** What the child answers when ready. */
export interface UpstreamReady {
  readonly port: number;
}

await serveParent<UpstreamReady>(async () => {
  const server = createServer((req, res) => {
    req.resume();
    const body = JSON.stringify({ ok: true, sub: req.headers['x-revocable-sub'] ?? null });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ready: { port: (server.address() as AddressInfo).port },
    handlers: {
      cpu: () => cpuReading(),
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    },
  };
});
