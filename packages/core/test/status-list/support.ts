import type { IncomingHttpHeaders } from 'node:http';
import { startServer, type TestServer } from '../external/support/json-server.js';

export const LIST_PATH = '/statuslists/1';
export const MEDIA_TYPE = 'application/statuslist+jwt';

/** What the list server answers with; tests change it between requests. */
export interface Publication {
  status: number;
  body: string;
  headers: Record<string, string>;
  /** When set, the server never answers (to test the timeout). */
  hang?: boolean;
}

/** A loopback server publishing a Status List Token at {@link LIST_PATH}, recording request headers. */
export interface ListServer extends TestServer {
  readonly uri: string;
  readonly publication: Publication;
  readonly requests: IncomingHttpHeaders[];
  publish(token: string, headers?: Record<string, string>): void;
}

export async function startListServer(): Promise<ListServer> {
  const server = await startServer();
  const publication: Publication = { status: 404, body: '', headers: {} };
  const requests: IncomingHttpHeaders[] = [];
  server.handle = (req, res) => {
    requests.push(req.headers);
    if (publication.hang) return;
    res.writeHead(publication.status, {
      'content-type': MEDIA_TYPE,
      'content-length': Buffer.byteLength(publication.body),
      ...publication.headers,
    });
    res.end(publication.body);
  };
  return Object.assign(server, {
    uri: `${server.origin}${LIST_PATH}`,
    publication,
    requests,
    publish(token: string, headers: Record<string, string> = {}) {
      publication.status = 200;
      publication.body = token;
      publication.headers = headers;
      publication.hang = false;
    },
  });
}

/** Lets pending I/O callbacks and microtasks run (a background fetch on loopback). */
export async function settle(server: ListServer, requests: number): Promise<void> {
  for (let i = 0; i < 200 && server.requests.length < requests; i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await new Promise((resolve) => setTimeout(resolve, 20));
}
