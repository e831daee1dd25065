import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_REVOCATION_POLICY } from '@revocable/core';
import type { RunningService } from '@revocable/server';
import { hashClientSecret, openStorage } from '@revocable/server/internal';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runCli, type ServeProcess, startServeProcess } from './support/cli-process.js';
import { postgresUrl } from './support/postgres.js';
import {
  ADMIN_TOKEN,
  BACKENDS,
  type Backend,
  backendAvailable,
  freePort,
  Http,
  startService,
} from './support/service.js';

const VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const STORES = ['revocation log', 'key store', 'session store', 'user store', 'status list store'];

const scratch: string[] = [];
/** A new empty directory, removed after the file's tests. */
function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-cli-commands-'));
  scratch.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function claimsOf(token: string): { sub: string; sid: string; jti: string } {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

/** The stored secret hash of a client, read by the service's own storage. */
async function storedSecretHash(database: string, id: string): Promise<string | undefined> {
  const storage = await openStorage(database, DEFAULT_REVOCATION_POLICY);
  try {
    return (await storage.clients.getClient(id))?.secretHash;
  } finally {
    await storage.close();
  }
}

/** Forgets that one migration of a store ran, as a database left behind by an older release. */
async function forgetMigration(database: string, historyTable: string, version: number): Promise<void> {
  if (!database.startsWith('postgres')) {
    const db = new BetterSqlite3(database);
    try {
      db.prepare(`delete from ${historyTable} where version = ?`).run(version);
    } finally {
      db.close();
    }
    return;
  }
  const schema = new URL(database).searchParams.get('schema')!;
  const client = new pg.Client({ connectionString: postgresUrl() });
  await client.connect();
  try {
    await client.query(`delete from "${schema}".${historyTable} where version = $1`, [version]);
  } finally {
    await client.end();
  }
}

/** The secret `client add` printed. */
function printedSecret(stdout: string): string {
  const secret = /secret: (\S+)/.exec(stdout)?.[1];
  if (secret === undefined) throw new Error(`no secret in: ${stdout}`);
  return secret;
}

describe('the revocable command line, run as its own process', () => {
  it('--version prints the version of package.json', async () => {
    const run = await runCli(['--version']);
    expect(run).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it('answers an unknown command with the usage and exit code 2', async () => {
    const run = await runCli(['frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Unknown command "frobnicate"');
    expect(run.stderr).toMatch(/^Usage: revocable serve/m);
    expect(run.stderr).toContain('revocable client add <id>');
  });

  it("answers an unknown flag with the command's usage line and exit code 2, not Node's parser message", async () => {
    for (const args of [
      ['client', 'list', '--databse', 'x.db'],
      ['serve', '--prot', '3000'],
      ['migrate', '--check=yes'],
    ]) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^Usage: revocable (client list|serve|migrate)/m);
      expect(run.stderr).not.toMatch(/ERR_PARSE_ARGS|Unknown option '--|To specify a positional/);
    }
    const unknown = await runCli(['client', 'list', '--databse', 'x.db']);
    expect(unknown.stderr).toContain('Unknown flag "--databse"');
  });

  it('answers a missing argument or subcommand with the usage and exit code 2', async () => {
    const noId = await runCli(['client', 'add']);
    expect(noId.code).toBe(2);
    expect(noId.stderr).toContain('Missing <id>');
    expect(noId.stderr).toContain('Usage: revocable client add <id>');
    const noSub = await runCli(['keys']);
    expect(noSub.code).toBe(2);
    expect(noSub.stderr).toContain('revocable keys needs a subcommand: list, rotate, rewrap');
    const badKind = await runCli(['revoke', 'everything', 'now']);
    expect(badKind.code).toBe(2);
    expect(badKind.stderr).toContain('name one of user, session, token, key, issuer');
  });
});

for (const backend of BACKENDS) {
  const available = await backendAvailable(backend);

  describe.skipIf(!available)(`revocable client, keys and migrate on ${backend.name}`, () => {
    afterAll(() => backend.cleanup());

    it('client add refuses to replace a client without --force, --force replaces its secret, remove deletes it', async () => {
      const database = await backend.fresh();
      const first = await runCli(['client', 'add', 'billing', '--database', database]);
      expect(first.code).toBe(0);
      const secret = printedSecret(first.stdout);
      expect(await storedSecretHash(database, 'billing')).toBe(hashClientSecret(secret));

      const again = await runCli(['client', 'add', 'billing', '--database', database]);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('ERR_CLIENT_EXISTS');
      expect(again.stderr).toContain('--force');
      expect(again.stdout).not.toContain('secret');
      // Nothing was changed: the first secret is still the stored one.
      expect(await storedSecretHash(database, 'billing')).toBe(hashClientSecret(secret));

      const forced = await runCli(['client', 'add', 'billing', '--force', '--database', database]);
      expect(forced.code).toBe(0);
      const replaced = printedSecret(forced.stdout);
      expect(replaced).not.toBe(secret);
      expect(await storedSecretHash(database, 'billing')).toBe(hashClientSecret(replaced));

      const listed = await runCli(['client', 'list', '--database', database]);
      expect(listed.code).toBe(0);
      expect(listed.stdout).toMatch(/^billing\t\d{4}-\d{2}-\d{2}T/m);
      expect(listed.stdout).not.toContain(replaced);

      expect((await runCli(['client', 'remove', 'billing', '--database', database])).code).toBe(0);
      expect(await storedSecretHash(database, 'billing')).toBeUndefined();
      expect((await runCli(['client', 'list', '--database', database])).stdout).toContain(
        'No stored clients',
      );
      const unknown = await runCli(['client', 'remove', 'billing', '--database', database]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('ERR_CLIENT_NOT_FOUND');
    }, 120_000);

    it('keys list shows the keys keys rotate made', async () => {
      const database = await backend.fresh();
      const none = await runCli(['keys', 'list', '--database', database]);
      expect(none).toMatchObject({ code: 0 });
      expect(none.stdout).toContain('No signing keys yet');
      const rotated = await runCli(['keys', 'rotate', '--database', database]);
      expect(rotated.code).toBe(0);
      const rows = (text: string) =>
        text
          .trim()
          .split('\n')
          .map((line) => line.split(/\s+/).slice(0, 3).join(' '))
          .sort();
      expect(rows(rotated.stdout).map((row) => row.split(' ')[0])).toEqual(['active', 'next', 'retired']);
      const listed = await runCli(['keys', 'list', '--database', database]);
      expect(listed.code).toBe(0);
      expect(rows(listed.stdout)).toEqual(rows(rotated.stdout));
      expect(listed.stdout).not.toMatch(/"d"|privateJwk/);
    }, 90_000);

    it('migrate --check fails naming every store of a fresh database; migrate applies them; --check then passes', async () => {
      const database = await backend.fresh();
      const fresh = await runCli(['migrate', '--check', '--database', database]);
      expect(fresh.code).toBe(1);
      expect(fresh.stderr).toContain('ERR_MIGRATIONS_PENDING');
      for (const store of STORES) expect(fresh.stderr).toContain(`${store}:`);
      // --check applied nothing: it fails the same way again.
      expect((await runCli(['migrate', '--check', '--database', database])).code).toBe(1);

      const applied = await runCli(['migrate', '--database', database]);
      expect(applied.code).toBe(0);
      for (const store of STORES) expect(applied.stdout).toContain(`${store}: applied`);

      const checked = await runCli(['migrate', '--check', '--database', database]);
      expect(checked).toMatchObject({ code: 0 });
      expect(checked.stdout).toContain('up to date');
      const again = await runCli(['migrate', '--database', database]);
      expect(again).toMatchObject({ code: 0 });
      expect(again.stdout).toContain('up to date');
    }, 120_000);

    it('migrate --check names the one store a migration behind, and only it', async () => {
      const database = await backend.fresh();
      expect((await runCli(['migrate', '--database', database])).code).toBe(0);
      await forgetMigration(database, 'user_store_migrations', 2);
      const behind = await runCli(['migrate', '--check', '--database', database]);
      expect(behind.code).toBe(1);
      expect(behind.stderr).toMatch(/user store: 1 pending, 2 \(create clients\)/);
      for (const store of STORES.filter((s) => s !== 'user store'))
        expect(behind.stderr).not.toContain(`${store}:`);
    }, 90_000);
  });

  describe.skipIf(!available)(`revocable revoke and sessions list on ${backend.name}`, () => {
    const services: RunningService[] = [];
    afterEach(async () => {
      for (const service of services.splice(0)) await service.close();
    });
    afterAll(() => backend.cleanup());

    async function start(): Promise<{ database: string; http: Http; issuer: string }> {
      const database = await backend.fresh();
      const service = await startService(database);
      services.push(service);
      return { database, http: new Http(service.url), issuer: service.runtime.config.issuer };
    }

    async function expectRevoked(http: Http, token: string): Promise<void> {
      await vi.waitFor(
        async () => {
          const me = await http.get('/api/me', token);
          expect(me.status).toBe(401);
          expect(me.body.error).toBe('ERR_TOKEN_REVOKED');
        },
        { timeout: 5_000, interval: 100 },
      );
    }

    it('against the database: revoke user ends the sessions, and the running service refuses the token', async () => {
      const { database, http, issuer } = await start();
      const tokens = await http.registerAndLogin('db-revoked-user');
      const { sub, sid } = claimsOf(tokens.access_token);
      // The control: the token works, and sessions list shows its session.
      expect((await http.get('/api/me', tokens.access_token)).status).toBe(200);
      const before = await runCli(['sessions', 'list', sub, '--database', database]);
      expect(before.code).toBe(0);
      expect(before.stdout).toContain(sid);

      const db = ['--database', database, '--issuer', issuer];
      const revoked = await runCli(['revoke', 'user', sub, '--actor', 'ops-alice', ...db]);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toContain(`every token of user ${sub}`);
      expect(revoked.stdout).toContain('by cli:ops-alice');
      await expectRevoked(http, tokens.access_token);
      // The stored session ended first: its refresh token is refused too.
      const refresh = await http.post('/auth/refresh', { refresh_token: tokens.refresh_token });
      expect(refresh.status).toBe(401);
      const after = await runCli(['sessions', 'list', sub, '--database', database]);
      expect(after.stdout).toContain('No live sessions');
    }, 90_000);

    it('against the database: revoke session and revoke token end just what they name', async () => {
      const { database, http, issuer } = await start();
      const first = await http.registerAndLogin('db-session-user');
      const second = await http.login('db-session-user');
      const third = await http.login('db-session-user');
      const db = ['--database', database, '--issuer', issuer];

      const session = await runCli(['revoke', 'session', claimsOf(first.access_token).sid, ...db]);
      expect(session.code, session.stderr).toBe(0);
      await expectRevoked(http, first.access_token);
      expect((await http.get('/api/me', second.access_token)).status).toBe(200);

      const token = await runCli(['revoke', 'token', second.access_token, ...db]);
      expect(token.code, token.stderr).toBe(0);
      // The token is named by its jti, never printed.
      expect(token.stdout + token.stderr).not.toContain(second.access_token);
      await expectRevoked(http, second.access_token);
      expect((await http.get('/api/me', third.access_token)).status).toBe(200);

      const unknown = await runCli(['revoke', 'session', 'no-such-session', ...db]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('ERR_SESSION_NOT_FOUND');
    }, 120_000);

    it('against the running service (--url and REVOCABLE_ADMIN_TOKEN): revoke user, session and token take effect', async () => {
      const { http } = await start();
      const url = ['--url', http.base];
      const env = { REVOCABLE_ADMIN_TOKEN: ADMIN_TOKEN };
      const cwd = scratchDir(); // no token file of another service is found here
      const a = await http.registerAndLogin('url-user-a');
      const a2 = await http.login('url-user-a');
      const b = await http.registerAndLogin('url-user-b');
      const c = await http.registerAndLogin('url-user-c');
      const c2 = await http.login('url-user-c');

      const listed = await runCli(['sessions', 'list', claimsOf(a.access_token).sub, '--json', ...url], {
        env,
        cwd,
      });
      expect(listed.code, listed.stderr).toBe(0);
      const ids = (JSON.parse(listed.stdout) as { sessions: { id: string }[] }).sessions.map((s) => s.id);
      expect(ids.sort()).toEqual([claimsOf(a.access_token).sid, claimsOf(a2.access_token).sid].sort());

      const user = await runCli(['revoke', 'user', claimsOf(a.access_token).sub, ...url], { env, cwd });
      expect(user.code, user.stderr).toBe(0);
      expect(user.stdout).toContain('by admin:cli');
      await expectRevoked(http, a.access_token);
      await expectRevoked(http, a2.access_token);
      expect((await http.get('/api/me', b.access_token)).status).toBe(200);

      const session = await runCli(['revoke', 'session', claimsOf(b.access_token).sid, ...url], { env, cwd });
      expect(session.code, session.stderr).toBe(0);
      await expectRevoked(http, b.access_token);

      const token = await runCli(['revoke', 'token', c.access_token, ...url], { env, cwd });
      expect(token.code, token.stderr).toBe(0);
      await expectRevoked(http, c.access_token);
      expect((await http.get('/api/me', c2.access_token)).status).toBe(200);

      const unknown = await runCli(['revoke', 'session', 'no-such-session', ...url], { env, cwd });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('ERR_SESSION_NOT_FOUND');
    }, 120_000);

    it('revoke key refuses a key that still signs; once retired its tokens are refused; revoke issuer ends the rest', async () => {
      const { database, http, issuer } = await start();
      const url = ['--url', http.base];
      const env = { REVOCABLE_ADMIN_TOKEN: ADMIN_TOKEN };
      const cwd = scratchDir();
      const old = await http.registerAndLogin('key-user');
      const kid = (
        JSON.parse(Buffer.from(old.access_token.split('.')[0]!, 'base64url').toString()) as { kid: string }
      ).kid;
      const inUse = await runCli(['revoke', 'key', kid, ...url], { env, cwd });
      expect(inUse.code).toBe(1);
      expect(inUse.stderr).toContain('ERR_KEY_IN_USE');
      expect((await http.get('/api/me', old.access_token)).status).toBe(200);

      expect((await runCli(['keys', 'rotate', ...url], { env, cwd })).code).toBe(0);
      const fresh = await http.login('key-user');
      const key = await runCli(['revoke', 'key', kid, ...url], { env, cwd });
      expect(key.code, key.stderr).toBe(0);
      await expectRevoked(http, old.access_token);
      expect((await http.get('/api/me', fresh.access_token)).status).toBe(200);

      const all = await runCli(['revoke', 'issuer', issuer, '--database', database, '--issuer', issuer]);
      expect(all.code, all.stderr).toBe(0);
      await expectRevoked(http, fresh.access_token);
    }, 120_000);

    it('--url without the admin token is refused, naming REVOCABLE_ADMIN_TOKEN; a wrong one is refused by the service', async () => {
      const { http } = await start();
      const cwd = scratchDir();
      const missing = await runCli(['sessions', 'list', 'someone', '--url', http.base], { cwd });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('ERR_ADMIN_TOKEN_REQUIRED');
      expect(missing.stderr).toContain('REVOCABLE_ADMIN_TOKEN');
      const wrong = 'w'.repeat(40);
      const refused = await runCli(['sessions', 'list', 'someone', '--url', http.base], {
        cwd,
        env: { REVOCABLE_ADMIN_TOKEN: wrong },
      });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('ERR_ADMIN_AUTH_REQUIRED');
      expect(refused.stderr).not.toContain(wrong);
    }, 60_000);
  });

  describe.skipIf(!available)(`the admin token revocable serve makes on ${backend.name}`, () => {
    const running: ServeProcess[] = [];
    afterEach(async () => {
      for (const serve of running.splice(0)) await serve.stop();
    });
    afterAll(() => backend.cleanup());

    async function serveOnLoopback(
      backendOf: Backend,
    ): Promise<{ cwd: string; args: string[]; file: string; port: number }> {
      const cwd = scratchDir();
      const port = await freePort();
      const sqlite = backendOf.name === 'SQLite';
      const database = sqlite ? join(cwd, 'revocable.db') : await backendOf.fresh();
      const file = sqlite ? `${database}.admin-token` : join(cwd, 'revocable.admin-token');
      return {
        cwd,
        port,
        file,
        args: ['--port', String(port), '--issuer', `http://localhost:${port}`, '--database', database],
      };
    }

    it('on loopback: a 0600 file beside the database (PostgreSQL: the working directory), its path printed, never the token, reused on the next start', async () => {
      const { cwd, args, file, port } = await serveOnLoopback(backend);
      expect(existsSync(file)).toBe(false);
      const first = await startServeProcess(args, { cwd });
      running.push(first);
      expect(first.output()).toContain(`just generated in ${file}`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const token = readFileSync(file, 'utf8').trim();
      expect(token.length).toBeGreaterThanOrEqual(32);
      const http = new Http(`http://127.0.0.1:${port}`);
      // The control: a wrong token is refused, so the 200 below is the file's token's doing.
      expect((await http.get('/admin/keys', 'x'.repeat(40))).status).toBe(401);
      expect((await http.get('/admin/keys', token)).status).toBe(200);
      await first.stop();
      // The JSON log (and everything else printed) has the file's path, never the token.
      expect(first.output()).toMatch(/^\{"level":30.*"msg":"Server listening/m);
      expect(first.output()).not.toContain(token);

      const second = await startServeProcess(args, { cwd });
      running.push(second);
      expect(second.output()).toContain(`kept in ${file}`);
      expect(readFileSync(file, 'utf8').trim()).toBe(token);
      expect((await http.get('/admin/keys', token)).status).toBe(200);
      await second.stop();
      expect(second.output()).not.toContain(token);
    }, 180_000);
  });
}

describe('revocable serve off loopback, or with a token file others may read', () => {
  const running: ServeProcess[] = [];
  afterEach(async () => {
    for (const serve of running.splice(0)) await serve.stop();
  });

  it('off loopback makes no token, says how to set one, and the admin API says how to enable it', async () => {
    const cwd = scratchDir();
    const port = await freePort();
    const database = join(cwd, 'revocable.db');
    const serve = await startServeProcess(
      [
        '--host',
        '0.0.0.0',
        '--port',
        String(port),
        '--issuer',
        `http://localhost:${port}`,
        '--database',
        database,
      ],
      { cwd },
    );
    running.push(serve);
    expect(serve.output()).toContain('Admin API and console: disabled');
    expect(serve.output()).toContain('REVOCABLE_ADMIN_TOKEN=$(openssl rand -hex 32)');
    expect(existsSync(`${database}.admin-token`)).toBe(false);
    const answer = await new Http(`http://127.0.0.1:${port}`).get('/admin/keys', 'x'.repeat(40));
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('ERR_ADMIN_AUTH_REQUIRED');
    expect(answer.body.message).toMatch(/disabled.*REVOCABLE_ADMIN_TOKEN/);
  }, 90_000);

  it('refuses to start with a token file others may read, without showing the token', async () => {
    const cwd = scratchDir();
    const database = join(cwd, 'revocable.db');
    const token = 't'.repeat(48);
    writeFileSync(`${database}.admin-token`, `${token}\n`);
    chmodSync(`${database}.admin-token`, 0o644);
    const run = await runCli(['serve', '--port', String(await freePort()), '--database', database], { cwd });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ERR_ADMIN_TOKEN_FILE');
    expect(run.stderr).toContain(`chmod 600 ${database}.admin-token`);
    expect(run.stdout + run.stderr).not.toContain(token);
  }, 60_000);
});
