// Two `revocable serve --status-list` processes on one PostgreSQL database (one in this process, one
// spawned): each publishes the entries of the other's tokens, and a revocation made through either
// shows as 1 in both lists. A service process has no state of its own that the other lacks.

import { type StatusList, verifyStatusListToken } from '@revocable/core';
import type { RunningService } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli, type ServeProcess, startServeProcess } from './support/cli-process.js';
import { ADMIN_TOKEN, BACKENDS, backendAvailable, freePort, Http, startService } from './support/service.js';

const postgres = BACKENDS.find((backend) => backend.name === 'PostgreSQL')!;
const available = await backendAvailable(postgres);
const MEDIA_TYPE = 'application/statuslist+jwt';

function claimsOf(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
}

describe.skipIf(!available)('two --status-list processes on one PostgreSQL database', () => {
  let database: string;
  let a: RunningService;
  let b: ServeProcess;
  let issuer: string;
  let httpA: Http;
  let httpB: Http;
  beforeAll(async () => {
    database = await postgres.fresh();
    const [portA, portB] = [await freePort(), await freePort()];
    issuer = `http://localhost:${portA}`;
    const shared = ['--status-list', '--status-list-interval', '100', '--issuer', issuer];
    a = await startService(database, shared, portA);
    b = await startServeProcess([
      ...shared,
      '--port',
      String(portB),
      '--host',
      '127.0.0.1',
      '--database',
      database,
      '--admin-token',
      ADMIN_TOKEN,
    ]);
    httpA = new Http(a.url);
    httpB = new Http(`http://127.0.0.1:${portB}`);
  }, 90_000);
  afterAll(async () => {
    await b?.stop();
    await a?.close();
    await postgres.cleanup();
  });

  /** The list one process serves, verified with the service's keys as the tokens name it. */
  async function listFrom(http: Http): Promise<StatusList> {
    const response = await fetch(`${http.base}/status-lists/1`, { headers: { accept: MEDIA_TYPE } });
    expect(response.status).toBe(200);
    const { list } = await verifyStatusListToken(await response.text(), {
      keys: a.runtime.keys,
      uri: `${issuer}/status-lists/1`,
    });
    return list;
  }

  it('agree on every bit: tokens of both, revoked through either', async () => {
    const fromA = await httpA.registerAndLogin('two-a');
    const fromB = await httpB.login('two-a');
    const keptA = await httpA.registerAndLogin('two-kept');
    const keptB = await httpB.login('two-kept');
    const victim = await httpB.registerAndLogin('two-subject');
    const idx = (token: string) => claimsOf(token).status.status_list.idx as number;
    const all = [fromA, fromB, keptA, keptB, victim].map((t) => idx(t.access_token));
    expect(new Set(all).size).toBe(all.length);

    // Control: nothing revoked yet, both lists read 0 for every token (once each has read the others').
    for (const http of [httpA, httpB]) {
      const list = await listFrom(http);
      for (const i of all) expect(list.get(i)).toBe(0);
    }

    // A token issued by B, ended through A; a subject revoked through B's admin API.
    expect((await httpA.post('/auth/logout', undefined, fromB.access_token)).status).toBe(204);
    const answer = await httpB.call('POST', '/admin/revocations', {
      token: ADMIN_TOKEN,
      body: { rule: { kind: 'subject', iss: issuer, sub: claimsOf(victim.access_token).sub } },
    });
    expect(answer.status).toBe(201);

    const expected = new Map([
      [idx(fromB.access_token), 1],
      [idx(victim.access_token), 1],
      [idx(fromA.access_token), 0],
      [idx(keptA.access_token), 0],
      [idx(keptB.access_token), 0],
    ]);
    await vi.waitFor(
      async () => {
        for (const http of [httpA, httpB]) {
          const list = await listFrom(http);
          for (const [i, status] of expected) expect(list.get(i)).toBe(status);
        }
      },
      { timeout: 15_000, interval: 100 },
    );
  }, 60_000);

  it('agree on a token revoked by `revocable revoke token` run against the database (a third process)', async () => {
    const revoked = await httpB.registerAndLogin('two-cli');
    const kept = await httpA.login('two-cli');
    const idx = (token: string) => claimsOf(token).status.status_list.idx as number;
    const cli = await runCli([
      'revoke',
      'token',
      revoked.access_token,
      '--database',
      database,
      '--issuer',
      issuer,
    ]);
    expect(cli.code, cli.stderr).toBe(0);
    await vi.waitFor(
      async () => {
        for (const http of [httpA, httpB]) {
          const list = await listFrom(http);
          expect(list.get(idx(revoked.access_token))).toBe(1);
          expect(list.get(idx(kept.access_token))).toBe(0);
        }
      },
      { timeout: 15_000, interval: 100 },
    );
  }, 90_000);
});
