import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '@revocable/server';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { Http, startService } from './support/service.js';

const dir = mkdtempSync(join(tmpdir(), 'revocable-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<string> {
  const out: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  try {
    await main(args);
  } finally {
    spy.mockRestore();
  }
  return out.join('');
}

describe('the revocable command line', () => {
  it('prints help listing serve, client add and keys rotate', async () => {
    const help = await run(['--help']);
    expect(help).toMatch(/revocable serve/);
    expect(help).toMatch(/client add/);
    expect(help).toMatch(/REVOCABLE_DATABASE/);
  });

  it('adds a confidential client that the service then accepts for introspection', async () => {
    const database = join(dir, 'cli.db');
    const printed = await run([
      'client',
      'add',
      'billing',
      '--secret',
      'billing-secret-0123456789',
      '--database',
      database,
    ]);
    expect(printed).toContain('client billing added');
    const service = await startService(database);
    try {
      const http = new Http(service.url);
      const tokens = await http.registerAndLogin('cli-user');
      const introspect = (secret: string) =>
        http.call('POST', '/oauth/introspect', {
          raw: `token=${tokens.access_token}`,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${Buffer.from(`billing:${secret}`).toString('base64')}`,
          },
        });
      expect((await introspect('billing-secret-0123456789')).body.active).toBe(true);
      expect((await introspect('wrong-secret-0123456789')).status).toBe(401);
    } finally {
      await service.close();
    }
  });

  it('rotates keys in the stored ring', async () => {
    const database = join(dir, 'keys.db');
    const first = await run(['keys', 'rotate', '--database', database]);
    const lines = first.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0]).sort()).toEqual(['active', 'next', 'retired']);
  });

  it('refuses an unknown command with exit code 2', async () => {
    const errors = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await run(['frobnicate']);
    errors.mockRestore();
    expect(process.exitCode).toBe(2);
    process.exitCode = 0;
  });
});
