import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type RunningService, serve } from '@revocable/server';
import pg from 'pg';
import { Contract } from './contract.js';
import { postgresAvailable, postgresUrl } from './postgres.js';

export const ADMIN_TOKEN = 'admin-token-for-tests-0123456789abcdef';
export const CLIENT = { id: 'api', secret: 'api-secret-0123456789' };

/** A storage backend the end-to-end suites run on. */
export interface Backend {
  readonly name: string;
  /** A database setting for a new, empty store; the same value reopens it. */
  fresh(): Promise<string>;
  cleanup(): Promise<void>;
}

const tempDirs: string[] = [];
let schemaCounter = 0;
const schemas: string[] = [];

export const BACKENDS: Backend[] = [
  {
    name: 'SQLite',
    async fresh() {
      const dir = mkdtempSync(join(tmpdir(), 'revocable-e2e-'));
      tempDirs.push(dir);
      return join(dir, 'revocable.db');
    },
    async cleanup() {
      for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  },
  {
    name: 'PostgreSQL',
    async fresh() {
      const url = new URL(postgresUrl());
      const schema = `e2e_${process.pid}_${Date.now()}_${schemaCounter++}`;
      schemas.push(schema);
      url.searchParams.set('schema', schema);
      return url.toString();
    },
    async cleanup() {
      const client = new pg.Client({ connectionString: postgresUrl() });
      await client.connect();
      try {
        for (const schema of schemas.splice(0))
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  },
];

/** Whether a backend can run here; in CI a missing PostgreSQL is a failure, not a skip. */
export async function backendAvailable(backend: Backend): Promise<boolean> {
  return backend.name === 'PostgreSQL' ? postgresAvailable() : true;
}

/** A free TCP port on loopback (the issuer URL must name the port before the service starts). */
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

/** Starts the service on a free port with test settings; its issuer is `http://localhost:PORT`. */
export async function startService(
  database: string,
  extra: string[] = [],
  port?: number,
): Promise<RunningService> {
  const chosen = port ?? (await freePort());
  const config = loadConfig(
    [
      '--port',
      String(chosen),
      '--issuer',
      `http://localhost:${chosen}`,
      '--database',
      database,
      '--admin-token',
      ADMIN_TOKEN,
      '--clients',
      `${CLIENT.id}:${CLIENT.secret}`,
      '--log-level',
      'silent',
      ...extra,
    ],
    {},
  );
  return serve(config, { logger: false });
}

/**
 * A small JSON client for one service. Every answer it receives is checked against the service's
 * /openapi.json (read once per service): an undocumented status, or a body its schema does not
 * describe, fails the call with the route, the status and the schema's complaint.
 */
export class Http {
  constructor(readonly base: string) {}

  async call(
    method: string,
    path: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {},
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token) headers['authorization'] = `Bearer ${options.token}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = JSON.stringify(options.body);
    }
    const send = () => fetch(this.base + path, { method, headers, ...(body !== undefined && { body }) });
    // After a restart fetch may still hold kept-alive sockets to the old process; a GET is safe to retry.
    let response: Response;
    for (let attempt = 0; ; attempt++) {
      try {
        response = await send();
        break;
      } catch (err) {
        if (method !== 'GET' || attempt >= 5) throw err;
      }
    }
    const text = await response.text();
    const contract = await Contract.of(this.base);
    contract.check({
      method,
      path,
      status: response.status,
      contentType: response.headers.get('content-type'),
      text,
    });
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: response.status, body: parsed, headers: response.headers };
  }

  post(path: string, body?: unknown, token?: string) {
    return this.call('POST', path, { ...(body !== undefined && { body }), ...(token && { token }) });
  }

  get(path: string, token?: string) {
    return this.call('GET', path, token ? { token } : {});
  }

  async registerAndLogin(username: string, password = 'correct horse battery') {
    const registered = await this.post('/auth/register', { username, password });
    if (registered.status !== 201)
      throw new Error(`register failed: ${registered.status} ${JSON.stringify(registered.body)}`);
    return this.login(username, password);
  }

  async login(username: string, password = 'correct horse battery') {
    const login = await this.post('/auth/login', { username, password });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
    return login.body as {
      access_token: string;
      refresh_token: string;
      session_id: string;
      expires_in: number;
    };
  }
}
