import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Handle = (req: IncomingMessage, res: ServerResponse) => void;

/** A node:http server on 127.0.0.1, port 0, whose behaviour a test swaps at will, counting requests per path. */
export interface TestServer {
  readonly origin: string;
  /** Requests received, by path. */
  readonly hits: Map<string, number>;
  handle: Handle;
  hitsOf(path: string): number;
  close(): Promise<void>;
}

export function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export async function startServer(
  handle: Handle = (_req, res) => sendJson(res, {}, 404),
): Promise<TestServer> {
  const hits = new Map<string, number>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    state.handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const state: TestServer = {
    origin: `http://127.0.0.1:${port}`,
    hits,
    handle,
    hitsOf: (path) => hits.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}
