import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ServeProcess, startServeProcess } from './support/cli-process.js';
import { ADMIN_TOKEN, CLIENT, freePort } from './support/service.js';

const PASSWORD = 'correct horse battery staple';
const BASIC = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
const OTHER = { id: 'other', secret: 'other-secret-0123456789' };
const dir = mkdtempSync(join(tmpdir(), 'revocable-ssf-subjects-'));

async function call(base: string, method: string, path: string, body?: unknown, authorization = BASIC) {
  const response = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), authorization },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
}

describe('adding and removing subjects of a stream (SSF 1.0 §8.1.3)', () => {
  let process: ServeProcess;
  let base: string;
  let streamId: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://localhost:${port}`;
    process = await startServeProcess([
      '--port',
      String(port),
      '--issuer',
      base,
      '--database',
      join(dir, 'transmitter.db'),
      '--admin-token',
      ADMIN_TOKEN,
      '--clients',
      `${CLIENT.id}:${CLIENT.secret},${OTHER.id}:${OTHER.secret}`,
    ]);
    streamId = (await call(base, 'POST', '/ssf/streams', { delivery: { method: 'urn:ietf:rfc:8936' } })).body
      .stream_id;
  }, 60_000);

  afterAll(async () => {
    await process?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    [{ ack: [''] }],
    [{ ack: ['x'.repeat(300)] }],
    [{ setErrs: { x: null } }],
    [{ setErrs: { x: { err: { toString: 'x' } } } }],
    [{ setErrs: { ['y'.repeat(300)]: { err: 'invalid_key' } } }],
  ])('answers a malformed poll body %j with 400, not a crash', async (body) => {
    const answer = await call(base, 'POST', `/ssf/poll/${streamId}`, body);
    expect(answer.status).toBe(400);
    expect(answer.body.error ?? answer.body.err).toBeDefined();
  });

  /** Registers, logs in and out; answers the user's `sub` and the session id. */
  async function logInAndOut(username: string) {
    await call(base, 'POST', '/auth/register', { username, password: PASSWORD });
    const { body } = await call(base, 'POST', '/auth/login', { username, password: PASSWORD });
    const sub = JSON.parse(Buffer.from(body.access_token.split('.')[1], 'base64url').toString())
      .sub as string;
    await call(base, 'POST', '/auth/logout', undefined, `Bearer ${body.access_token}`);
    return { sub, sid: body.session_id as string };
  }

  /** Polls until the session shows up, acknowledging; answers every session id delivered meanwhile. */
  async function deliveredUntil(sid: string): Promise<string[]> {
    const seen: string[] = [];
    await vi.waitFor(
      async () => {
        const { body } = await call(base, 'POST', `/ssf/poll/${streamId}`, { returnImmediately: true });
        const sets = Object.entries(body.sets as Record<string, string>);
        for (const [, set] of sets) {
          const claims = JSON.parse(Buffer.from(set.split('.')[1]!, 'base64url').toString());
          seen.push(claims.sub_id?.session?.id);
        }
        await call(base, 'POST', `/ssf/poll/${streamId}`, { ack: sets.map(([jti]) => jti), maxEvents: 0 });
        expect(seen).toContain(sid);
      },
      { timeout: 20_000, interval: 200 },
    );
    return seen;
  }

  it('publishes the endpoints in its configuration', async () => {
    const { body } = await call(base, 'GET', '/.well-known/ssf-configuration');
    expect(body).toMatchObject({
      add_subject_endpoint: `${base}/ssf/subjects/add`,
      remove_subject_endpoint: `${base}/ssf/subjects/remove`,
      default_subjects: 'ALL',
    });
  });

  it('stops sending events about a removed user, and sends them again once added back', async () => {
    const carol = await logInAndOut('carol');
    await deliveredUntil(carol.sid); // control: the stream sends carol's events
    const subject = { format: 'iss_sub', iss: base, sub: carol.sub };
    expect((await call(base, 'POST', '/ssf/subjects/remove', { stream_id: streamId, subject })).status).toBe(
      204,
    );
    const removed = await logInAndOut('carol');
    const dave = await logInAndOut('dave'); // revoked after carol's: once it arrives, carol's was dealt with
    expect(await deliveredUntil(dave.sid)).not.toContain(removed.sid);
    expect((await call(base, 'POST', '/ssf/subjects/add', { stream_id: streamId, subject })).status).toBe(
      200,
    );
    const back = await logInAndOut('carol');
    await deliveredUntil(back.sid);
  }, 60_000);

  it('refuses a subject format it does not know, and finds no other client’s stream', async () => {
    const odd = await call(base, 'POST', '/ssf/subjects/remove', {
      stream_id: streamId,
      subject: { format: 'email', email: 'a@example.com' },
    });
    expect(odd).toMatchObject({ status: 400, body: { error: 'ERR_BAD_REQUEST' } });
    const foreign = await call(
      base,
      'POST',
      '/ssf/subjects/remove',
      { stream_id: streamId, subject: { format: 'opaque', id: 's' } },
      `Basic ${Buffer.from(`${OTHER.id}:${OTHER.secret}`).toString('base64')}`,
    );
    expect(foreign.status).toBe(404);
  });
});
