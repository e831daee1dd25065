// `revocable edge` as users run it: a wrong command line is a usage error (exit 2, the usage line), a
// missing or wrong secret stops it at start (exit 1, the code), and no secret is ever printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../server/test/support/cli-process.js';
import { CLIENT, startTestService, type TestService } from './support/service.js';

const WRONG = 'wrong-secret-that-must-never-show-0123';
let service: TestService;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(async () => {
  await service?.service.close();
});

describe('revocable edge on the command line', () => {
  it('an unknown flag: exit 2 with the usage line', async () => {
    const run = await runCli(['edge', '--frobnicate']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--frobnicate');
    expect(run.stderr).toContain('revocable edge --service');
  });

  it('no client secret: exit 1, naming the variable and the client', async () => {
    const run = await runCli(['edge', '--service', service.issuer, '--client-id', CLIENT.id]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('REVOCABLE_CLIENT_SECRET');
    expect(run.stderr).toContain('[ERR_CONFIG_INVALID]');
  });

  it('a wrong secret: refused at start, with what to do, and the secret never printed', async () => {
    const run = await runCli(['edge', '--service', service.issuer, '--client-id', CLIENT.id, '--port', '0'], {
      env: { REVOCABLE_CLIENT_SECRET: WRONG },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`npx revocable client add ${CLIENT.id}`);
    expect(`${run.stdout}${run.stderr}`).not.toContain(WRONG);
  });

  it('a bad rule: exit 1 saying which', async () => {
    const run = await runCli(
      ['edge', '--service', service.issuer, '--client-id', CLIENT.id, '--scope', '/admin/*'],
      { env: { REVOCABLE_CLIENT_SECRET: CLIENT.secret } },
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--scope "/admin/*" needs =scope');
  });
});
