import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RevocableError } from '@revocable/core';
import { loadConfig } from '@revocable/server';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type ServeProcess, startServeProcess } from './support/cli-process.js';
import { ADMIN_TOKEN, CLIENT, freePort } from './support/service.js';

const dir = mkdtempSync(join(tmpdir(), 'revocable-ssf-config-'));
let files = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function withFile(content: unknown): string {
  const path = join(dir, `config-${++files}.json`);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

const SECRET = 'Bearer s3cret-value-never-echoed';

function configError(content: unknown, argv: string[] = []): RevocableError {
  try {
    loadConfig(['--config', withFile(content), ...argv], {});
  } catch (err) {
    expect(err).toBeInstanceOf(RevocableError);
    expect((err as RevocableError).code).toBe('ERR_CONFIG_INVALID');
    expect((err as Error).message).not.toContain('s3cret');
    return err as RevocableError;
  }
  throw new Error(`expected ERR_CONFIG_INVALID for ${JSON.stringify(content)}`);
}

describe('sharedSignals in the configuration file', () => {
  it('reads several transmitters, push and poll, with the service audience as the default', () => {
    const config = loadConfig(
      [
        '--config',
        withFile({
          audience: 'my-api',
          sharedSignals: {
            transmitters: [
              {
                id: 'idp',
                configurationUrl: 'https://idp.example/.well-known/ssf-configuration',
                authorization: SECRET,
              },
              {
                id: 'hr',
                configurationUrl: 'https://hr.example/.well-known/ssf-configuration',
                audience: 'hr-aud',
                poll: { endpoint: 'https://hr.example/ssf/poll/1' },
                authorization: SECRET,
              },
            ],
          },
        }),
      ],
      {},
    );
    expect(config.sharedSignals.transmitters).toEqual([
      {
        id: 'idp',
        configurationUrl: 'https://idp.example/.well-known/ssf-configuration',
        audience: 'my-api',
        pollEndpoint: undefined,
        authorization: SECRET,
      },
      {
        id: 'hr',
        configurationUrl: 'https://hr.example/.well-known/ssf-configuration',
        audience: 'hr-aud',
        pollEndpoint: 'https://hr.example/ssf/poll/1',
        authorization: SECRET,
      },
    ]);
  });

  it('keeps the --ssf-* flags working for one transmitter, named default', () => {
    const config = loadConfig(
      ['--ssf-transmitter', 'https://idp.example/.well-known/ssf-configuration', '--ssf-audience', 'aud'],
      {},
    );
    expect(config.sharedSignals.transmitters).toEqual([
      {
        id: 'default',
        configurationUrl: 'https://idp.example/.well-known/ssf-configuration',
        audience: 'aud',
        pollEndpoint: undefined,
        authorization: undefined,
      },
    ]);
    expect(loadConfig([], {}).sharedSignals.transmitters).toEqual([]);
  });

  it('names the field of each bad value, and never echoes the secret', () => {
    const ok = { id: 'idp', configurationUrl: 'https://idp.example/.well-known/ssf-configuration' };
    const cases: [unknown, RegExp][] = [
      [{ sharedSignals: [] }, /sharedSignals must be an object/],
      [{ sharedSignals: { transmitters: {} } }, /sharedSignals\.transmitters must be an array/],
      [{ sharedSignals: { other: 1 } }, /sharedSignals\.other is not a known field/],
      [{ sharedSignals: { transmitters: [{ ...ok, id: 'a b' }] } }, /sharedSignals\.transmitters\[0\]\.id/],
      [
        { sharedSignals: { transmitters: [ok, { ...ok }] } },
        /sharedSignals\.transmitters\[1\]\.id is listed twice/,
      ],
      [
        { sharedSignals: { transmitters: [{ ...ok, configurationUrl: 'ftp://x' }] } },
        /sharedSignals\.transmitters\[0\]\.configurationUrl/,
      ],
      [
        { sharedSignals: { transmitters: [{ ...ok, audience: 7 }] } },
        /sharedSignals\.transmitters\[0\]\.audience/,
      ],
      [
        { sharedSignals: { transmitters: [{ ...ok, poll: { endpoint: 'nope' } }] } },
        /sharedSignals\.transmitters\[0\]\.poll\.endpoint/,
      ],
      [
        { sharedSignals: { transmitters: [{ ...ok, poll: { endpoint: 'https://x/p', every: 1 } }] } },
        /sharedSignals\.transmitters\[0\]\.poll\.every is not a known field/,
      ],
      [
        { sharedSignals: { transmitters: [{ ...ok, authorization: `${SECRET}\r\nx: y` }] } },
        /sharedSignals\.transmitters\[0\]\.authorization must be a header value/,
      ],
      [
        { sharedSignals: { transmitters: [{ ...ok, secret: SECRET }] } },
        /sharedSignals\.transmitters\[0\]\.secret is not a known field/,
      ],
    ];
    for (const [content, message] of cases) expect(configError(content).message).toMatch(message);
  });

  it('refuses the file list and --ssf-transmitter together, naming both', () => {
    const error = configError(
      {
        sharedSignals: {
          transmitters: [
            { id: 'idp', configurationUrl: 'https://idp.example/.well-known/ssf-configuration' },
          ],
        },
      },
      ['--ssf-transmitter', 'https://other.example/.well-known/ssf-configuration'],
    );
    expect(error.message).toMatch(/sharedSignals\.transmitters.*--ssf-transmitter/);
  });
});

describe('receiving from two transmitters configured in the file', () => {
  const PASSWORD = 'correct horse battery staple';
  const BASIC = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
  const running: ServeProcess[] = [];
  afterAll(async () => {
    for (const process of running) await process.stop();
  });

  async function serve(name: string, port: number, extra: string[] = []) {
    const process = await startServeProcess([
      '--port',
      String(port),
      '--issuer',
      `http://localhost:${port}`,
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
    return process;
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

  async function logInAndOut(base: string, username: string): Promise<string> {
    await call(base, 'POST', '/auth/register', { username, password: PASSWORD });
    const { body } = await call(base, 'POST', '/auth/login', { username, password: PASSWORD });
    expect((await call(base, 'POST', '/auth/logout', undefined, `Bearer ${body.access_token}`)).status).toBe(
      204,
    );
    return body.session_id as string;
  }

  it("turns each transmitter's logout into a rule: one by push to /ssf/push/{id}, one by poll", async () => {
    const [p1, p2, pr] = [await freePort(), await freePort(), await freePort()];
    const [t1, t2, r] = [p1, p2, pr].map((port) => `http://localhost:${port}`) as [string, string, string];
    await serve('t1', p1);
    await serve('t2', p2);
    const polled = await call(
      t2,
      'POST',
      '/ssf/streams',
      { delivery: { method: 'urn:ietf:rfc:8936' } },
      BASIC,
    );
    const pushAuth = 'Bearer push-secret-of-the-receiver';
    const receiver = await serve('r', pr, [
      '--config',
      withFile({
        sharedSignals: {
          transmitters: [
            {
              id: 'one',
              configurationUrl: `${t1}/.well-known/ssf-configuration`,
              audience: CLIENT.id,
              authorization: pushAuth,
            },
            {
              id: 'two',
              configurationUrl: `${t2}/.well-known/ssf-configuration`,
              audience: CLIENT.id,
              poll: { endpoint: polled.body.delivery.endpoint_url },
              authorization: BASIC,
            },
          ],
        },
      }),
    ]);
    const pushed = await call(
      t1,
      'POST',
      '/ssf/streams',
      {
        delivery: {
          method: 'urn:ietf:rfc:8935',
          endpoint_url: `${r}/ssf/push/one`,
          authorization_header: pushAuth,
        },
      },
      BASIC,
    );
    expect(pushed.status).toBe(201);
    // The receiver reads t1 in the background: a verification event tells when it is ready.
    await vi.waitFor(
      async () => {
        await call(t1, 'POST', '/ssf/verify', { stream_id: pushed.body.stream_id, state: 'ready?' }, BASIC);
        expect(receiver.output()).toMatch(/"transmitter":"one","action":"verified"/);
      },
      { timeout: 30_000, interval: 1_100 },
    );
    const [sid1, sid2] = [await logInAndOut(t1, 'alice'), await logInAndOut(t2, 'bob')];
    await vi.waitFor(
      async () => {
        const events = (await call(r, 'GET', '/revocations', undefined, `Bearer ${ADMIN_TOKEN}`)).body
          .events as { rule: Record<string, string>; actor: string }[];
        const actorOf = (sid: string) => events.find((e) => e.rule.sid === sid)?.actor;
        expect(actorOf(sid1)).toBe(`transmitter:${t1}`);
        expect(actorOf(sid2)).toBe(`transmitter:${t2}`);
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(receiver.output()).not.toContain('push-secret-of-the-receiver');
    expect((await fetch(`${r}/ssf/push/nobody`, { method: 'POST' })).status).toBe(404);
  }, 120_000);
});
