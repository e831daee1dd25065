import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ServeProcess, startServeProcess } from './support/cli-process.js';
import { ADMIN_TOKEN, CLIENT, freePort } from './support/service.js';

const PASSWORD = 'correct horse battery staple';
const BASIC = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';

interface Service {
  readonly base: string;
  readonly process: ServeProcess;
}

const dir = mkdtempSync(join(tmpdir(), 'revocable-ssf-'));
const running: ServeProcess[] = [];

async function serve(name: string, extra: string[] = [], port?: number): Promise<Service> {
  const chosen = port ?? (await freePort());
  const base = `http://localhost:${chosen}`;
  const process = await startServeProcess([
    '--port',
    String(chosen),
    '--issuer',
    base,
    '--database',
    join(dir, `${name}.db`),
    '--admin-token',
    ADMIN_TOKEN,
    '--clients',
    `${CLIENT.id}:${CLIENT.secret}`,
    '--log-level',
    'info',
    ...extra,
  ]);
  running.push(process);
  return { base, process };
}

async function call(base: string, method: string, path: string, body?: unknown, authorization?: string) {
  const response = await fetch(base + path, {
    method,
    headers: {
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...(authorization !== undefined && { authorization }),
    },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function login(base: string, username: string) {
  await call(base, 'POST', '/auth/register', { username, password: PASSWORD });
  const { body } = await call(base, 'POST', '/auth/login', { username, password: PASSWORD });
  return body as { access_token: string; session_id: string };
}

/** The rules the receiver's log holds, from its feed. */
async function rulesAt(
  base: string,
): Promise<{ rule: Record<string, string | number>; reason: string; actor: string }[]> {
  return (await call(base, 'GET', '/revocations', undefined, `Bearer ${ADMIN_TOKEN}`)).body.events;
}

/** Waits until the receiver holds a rule matching `match`; answers how long it took, ms. */
async function ruleArrives(
  base: string,
  since: number,
  match: (rule: Record<string, string | number>) => boolean,
) {
  await vi.waitFor(
    async () =>
      expect((await rulesAt(base)).some((e) => e.reason === 'shared_signal' && match(e.rule))).toBe(true),
    { timeout: 20_000, interval: 20 },
  );
  return Date.now() - since;
}

describe('Shared Signals between two service processes', () => {
  let transmitter: Service;
  let receiver: Service;

  beforeAll(async () => {
    transmitter = await serve('transmitter');
    const receiverPort = await freePort();
    receiver = await serve(
      'receiver',
      ['--ssf-transmitter', `${transmitter.base}/.well-known/ssf-configuration`, '--ssf-audience', CLIENT.id],
      receiverPort,
    );
  }, 120_000);

  afterAll(async () => {
    for (const process of running.splice(0)) await process.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('publishes its transmitter configuration', async () => {
    const { status, body } = await call(transmitter.base, 'GET', '/.well-known/ssf-configuration');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      issuer: transmitter.base,
      jwks_uri: `${transmitter.base}/.well-known/jwks.json`,
      delivery_methods_supported: [PUSH, POLL],
      configuration_endpoint: `${transmitter.base}/ssf/streams`,
    });
  });

  it("refuses stream management without client credentials, and another client's stream is not found", async () => {
    expect((await call(transmitter.base, 'POST', '/ssf/streams', {})).status).toBe(401);
    expect(
      (await call(transmitter.base, 'GET', '/ssf/streams?stream_id=nope', undefined, BASIC)).status,
    ).toBe(404);
    const badUrl = await call(
      transmitter.base,
      'POST',
      '/ssf/streams',
      { delivery: { method: PUSH, endpoint_url: 'ftp://x' } },
      BASIC,
    );
    expect(badUrl).toMatchObject({ status: 400, body: { error: 'ERR_BAD_REQUEST' } });
  });

  it("pushes the transmitter's logout, logout everywhere and password change to the receiver as rules", async () => {
    const created = await call(
      transmitter.base,
      'POST',
      '/ssf/streams',
      {
        delivery: { method: PUSH, endpoint_url: `${receiver.base}/ssf/push` },
        description: 'to the receiver',
      },
      BASIC,
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ iss: transmitter.base, aud: CLIENT.id, delivery: { method: PUSH } });
    const streamId = created.body.stream_id as string;
    expect(
      (await call(transmitter.base, 'GET', `/ssf/status?stream_id=${streamId}`, undefined, BASIC)).body,
    ).toEqual({
      stream_id: streamId,
      status: 'enabled',
    });
    // The receiver reads the transmitter in the background: a verification event tells when it is ready.
    await vi.waitFor(
      async () => {
        expect(
          (
            await call(
              transmitter.base,
              'POST',
              '/ssf/verify',
              { stream_id: streamId, state: 'ready?' },
              BASIC,
            )
          ).status,
        ).toBe(204);
        expect(receiver.process.output()).toMatch(/"action":"verified"/);
      },
      { timeout: 30_000, interval: 1_100 },
    );

    // Control: before the logout the receiver holds no rule for this session.
    const alice = await login(transmitter.base, 'alice');
    expect((await rulesAt(receiver.base)).some((e) => e.rule.sid === alice.session_id)).toBe(false);

    const delays: number[] = [];
    let since = Date.now();
    expect(
      (await call(transmitter.base, 'POST', '/auth/logout', undefined, `Bearer ${alice.access_token}`))
        .status,
    ).toBe(204);
    delays.push(
      await ruleArrives(
        receiver.base,
        since,
        (r) => r.kind === 'session' && r.sid === alice.session_id && r.iss === transmitter.base,
      ),
    );

    const bob = await login(transmitter.base, 'bob');
    since = Date.now();
    expect(
      (await call(transmitter.base, 'POST', '/auth/logout-all', undefined, `Bearer ${bob.access_token}`))
        .status,
    ).toBe(200);
    const bobSub = JSON.parse(Buffer.from(bob.access_token.split('.')[1]!, 'base64url').toString()).sub;
    delays.push(await ruleArrives(receiver.base, since, (r) => r.kind === 'subject' && r.sub === bobSub));

    const carol = await login(transmitter.base, 'carol');
    since = Date.now();
    const changed = await call(
      transmitter.base,
      'POST',
      '/auth/password',
      { current_password: PASSWORD, new_password: `${PASSWORD} 2` },
      `Bearer ${carol.access_token}`,
    );
    expect(changed.status).toBe(200);
    const carolSub = JSON.parse(Buffer.from(carol.access_token.split('.')[1]!, 'base64url').toString()).sub;
    delays.push(await ruleArrives(receiver.base, since, (r) => r.kind === 'subject' && r.sub === carolSub));

    const rules = (await rulesAt(receiver.base)).filter((e) => e.reason === 'shared_signal');
    expect(rules.every((e) => e.actor === `transmitter:${transmitter.base}`)).toBe(true);
    console.info(
      `Shared Signals push delay, revocation answered → rule in the receiver's log: ${delays.join(', ')} ms`,
    );
    // Nothing the receiver logged holds a token.
    for (const token of [alice.access_token, bob.access_token, carol.access_token]) {
      expect(receiver.process.output()).not.toContain(token.split('.')[2]!);
      expect(transmitter.process.output()).not.toContain(token.split('.')[2]!);
    }
  }, 90_000);

  it("refuses a SET that is not the transmitter's with an RFC 8935 error and writes nothing", async () => {
    const before = (await rulesAt(receiver.base)).length;
    const forged = `${Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'secevent+jwt', kid: 'x' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: transmitter.base })).toString('base64url')}.AAAA`;
    const response = await fetch(`${receiver.base}/ssf/push`, {
      method: 'POST',
      headers: { 'content-type': 'application/secevent+jwt' },
      body: forged,
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      err: expect.stringMatching(/^invalid_key|invalid_request$/),
    });
    expect((await rulesAt(receiver.base)).length).toBe(before);
  });

  it('delivers by poll: a second receiver polls the stream, acknowledges, and writes the rule', async () => {
    const created = await call(
      transmitter.base,
      'POST',
      '/ssf/streams',
      { delivery: { method: POLL } },
      BASIC,
    );
    expect(created.status).toBe(201);
    const pollUrl = created.body.delivery.endpoint_url as string;
    expect(pollUrl).toBe(`${transmitter.base}/ssf/poll/${created.body.stream_id}`);
    const poller = await serve('poller', [
      '--ssf-transmitter',
      `${transmitter.base}/.well-known/ssf-configuration`,
      '--ssf-audience',
      CLIENT.id,
      '--ssf-poll-endpoint',
      pollUrl,
      '--ssf-authorization',
      BASIC,
    ]);
    const dave = await login(transmitter.base, 'dave');
    const since = Date.now();
    expect(
      (await call(transmitter.base, 'POST', '/auth/logout', undefined, `Bearer ${dave.access_token}`)).status,
    ).toBe(204);
    const delay = await ruleArrives(
      poller.base,
      since,
      (r) => r.kind === 'session' && r.sid === dave.session_id,
    );
    console.info(`Shared Signals poll delay (1 s poll interval): ${delay} ms`);
    // Acknowledged: the queue is empty now.
    await vi.waitFor(
      async () => {
        const drained = await call(
          transmitter.base,
          'POST',
          `/ssf/poll/${created.body.stream_id}`,
          { maxEvents: 10, returnImmediately: true },
          BASIC,
        );
        expect(drained.body).toEqual({ sets: {}, moreAvailable: false });
      },
      { timeout: 10_000, interval: 200 },
    );
  }, 90_000);
});
