import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RunningService } from '@revocable/server';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN_TOKEN, BACKENDS, backendAvailable, Http, startService } from './support/service.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = fileURLToPath(new URL('./support/run-cli.ts', import.meta.url));

/** Runs `revocable …` in its own process and resolves what it printed. */
function cliInAnotherProcess(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', CLI, ...args],
      { cwd: REPO_ROOT, timeout: 30_000 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`revocable ${args.join(' ')} failed: ${stderr}`, { cause: error }));
        else resolve(stdout);
      },
    );
  });
}

function kidOf(token: string): string {
  return (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
}

/** The kid `keys rotate` printed for a state (`active    EdDSA  <kid>`). */
function printedKid(output: string, state: string): string {
  const line = output.split('\n').find((row) => row.startsWith(`${state} `));
  if (!line) throw new Error(`no ${state} key in: ${output}`);
  return line.trim().split(/\s+/)[2]!;
}

for (const backend of BACKENDS) {
  const available = await backendAvailable(backend);
  describe.skipIf(!available)(`a running service on ${backend.name} and a key change made elsewhere`, () => {
    const services: RunningService[] = [];
    afterEach(async () => {
      for (const service of services.splice(0)) await service.close();
    });
    afterAll(() => backend.cleanup());

    async function start(database: string, extra: string[] = []): Promise<Http> {
      const service = await startService(database, extra);
      services.push(service);
      return new Http(service.url);
    }

    it('signs with, and publishes, the keys `revocable keys rotate` made in another process within the reload interval', async () => {
      const database = await backend.fresh();
      const http = await start(database, ['--key-reload-interval', '1']);
      const before = await http.registerAndLogin('pickup-user');
      const printed = await cliInAnotherProcess(['keys', 'rotate', '--database', database]);
      const [active, next] = [printedKid(printed, 'active'), printedKid(printed, 'next')];
      expect(active).not.toBe(kidOf(before.access_token));
      await vi.waitFor(
        async () => {
          const { access_token } = await http.login('pickup-user');
          expect(kidOf(access_token)).toBe(active);
        },
        { timeout: 4_000, interval: 200 },
      );
      const jwks = await http.get('/.well-known/jwks.json');
      expect(jwks.body.keys.map((key: { kid: string }) => key.kid)).toContain(next);
      // The token signed before the rotation still verifies: its key is retired, not gone.
      expect((await http.get('/api/me', before.access_token)).status).toBe(200);
    });

    it('accepts a token signed with a key it has not loaded yet, reloading on its kid', async () => {
      const database = await backend.fresh();
      // Two processes of one service: same database, same issuer.
      const issuer = ['--issuer', 'https://issuer.revocable.test'];
      const idle = await start(database, [...issuer, '--key-reload-interval', '3600']);
      const other = await start(database, issuer);
      await other.registerAndLogin('unknown-kid-user');
      // Two rotations: the other service's active key is one the idle service has never seen.
      for (let i = 0; i < 2; i++) {
        const rotated = await other.call('POST', '/admin/keys/rotate', { token: ADMIN_TOKEN, body: {} });
        expect(rotated.status).toBe(200);
      }
      const { access_token } = await other.login('unknown-kid-user');
      await vi.waitFor(async () => expect((await idle.get('/api/me', access_token)).status).toBe(200), {
        timeout: 3_000,
        interval: 100,
      });
      const own = await idle.login('unknown-kid-user');
      expect(kidOf(own.access_token)).toBe(kidOf(access_token));
    });
  });
}
