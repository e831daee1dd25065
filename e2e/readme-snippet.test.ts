import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main, type RunningService } from '@revocable/server';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BACKENDS, freePort, Http, startService } from '../packages/server/test/support/service.js';

// The root README's "Protect your API" snippet, taken from the README itself, typechecked and then run
// as the README says: a `revocable serve` (SQLite), a client added with `revocable client add
// orders-api`, the snippet started with that secret in REVOCABLE_CLIENT_SECRET. Only the service URL and
// the API's port are swapped for free ones.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SERVICE_LINE = "const SERVICE = 'http://localhost:3000';";
const LISTEN_LINE = 'app.listen(4000);';
const tsx = createRequire(import.meta.url).resolve('tsx/cli');

/** The first ```ts block after `heading`. */
function snippetAfter(heading: string): string {
  const at = README.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`No "${heading}" section in README.md.`);
  const match = /```ts\n([\s\S]*?)```/.exec(README.slice(at));
  if (!match?.[1]) throw new Error(`No \`\`\`ts block after "${heading}" in README.md.`);
  return match[1];
}

/** Type errors of `file` alone, compiled with the repository's strict settings. */
function typeErrors(file: string): string[] {
  const base = ts.readConfigFile(join(ROOT, 'tsconfig.base.json'), ts.sys.readFile).config;
  const { options } = ts.convertCompilerOptionsFromJson(
    {
      ...base.compilerOptions,
      composite: false,
      declaration: false,
      declarationMap: false,
      sourceMap: false,
    },
    ROOT,
  );
  const program = ts.createProgram([file], { ...options, noEmit: true, customConditions: ['source'] });
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(file))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

async function addClient(database: string, id: string): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  try {
    await main(['client', 'add', id, '--database', database]);
  } finally {
    spy.mockRestore();
  }
  const secret = /secret: (\S+)/.exec(out.join(''))?.[1];
  if (!secret) throw new Error(`client add printed no secret: ${out.join('')}`);
  return secret;
}

/** Resolves once `url` answers at all; rejects if the child exits first. */
async function answering(url: string, child: ChildProcess): Promise<void> {
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  for (const deadline = Date.now() + 25_000; Date.now() < deadline; ) {
    if (exited !== undefined) throw new Error(`the snippet exited with ${exited}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error('the snippet did not start listening');
}

describe('the README "Protect your API" snippet', () => {
  const backend = BACKENDS[0]!; // SQLite: the snippet is about the API, not the storage
  const dir = join(ROOT, 'artifacts', 'readme-snippet');
  const file = join(dir, `api-${process.pid}.ts`);
  let service: RunningService;
  let child: ChildProcess | undefined;
  let api: string;

  beforeAll(async () => {
    const snippet = snippetAfter('## Protect your API');
    expect(snippet).toContain(SERVICE_LINE);
    expect(snippet).toContain(LISTEN_LINE);
    const database = await backend.fresh();
    service = await startService(database);
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      file,
      snippet
        .replace(SERVICE_LINE, `const SERVICE = '${service.runtime.config.issuer}';`)
        .replace(LISTEN_LINE, `app.listen(${port}, '127.0.0.1');`),
    );
    const secret = await addClient(database, 'orders-api');
    child = spawn(process.execPath, [tsx, '--conditions=source', file], {
      cwd: ROOT,
      env: { ...process.env, REVOCABLE_CLIENT_SECRET: secret },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await answering(`${api}/orders`, child);
  }, 60_000);

  afterAll(async () => {
    child?.kill();
    await service?.close();
    await backend.cleanup();
    rmSync(file, { force: true });
  });

  it('typechecks with the repository strict settings', { timeout: 60_000 }, () => {
    expect(typeErrors(file)).toEqual([]);
  });

  it('refuses a request without a token', async () => {
    const response = await fetch(`${api}/orders`);
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'ERR_TOKEN_MISSING' });
  });

  it("serves the service's token, and refuses it once the user logs out at the service", async () => {
    const http = new Http(service.url);
    const { access_token: token } = await http.registerAndLogin('ada');
    const sub = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sub;
    const orders = (t: string) => fetch(`${api}/orders`, { headers: { authorization: `Bearer ${t}` } });

    const before = await orders(token);
    expect(before.status).toBe(200);
    expect(await before.json()).toEqual({ user: sub, orders: [] });

    expect((await http.post('/auth/logout', undefined, token)).status).toBe(204);
    let after = await orders(token);
    for (const deadline = Date.now() + 5_000; after.status === 200 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = await orders(token);
    }
    expect(after.status).toBe(401);
    expect(await after.json()).toMatchObject({ error: 'ERR_TOKEN_REVOKED' });
  });

  it("ends the session at the service with the API's own logout", async () => {
    const http = new Http(service.url);
    const tokens = await http.registerAndLogin('grace');
    const logout = await fetch(`${api}/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(logout.status).toBe(204);
    expect((await http.post('/auth/refresh', { refresh_token: tokens.refresh_token })).status).toBe(401);
    expect((await http.get('/api/me', tokens.access_token)).body).toMatchObject({
      error: 'ERR_TOKEN_REVOKED',
    });
  });
});
