import type { RunningService } from '@revocable/server';
import { Ajv, type ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, Http, startService } from './support/service.js';

/** Member names: lower case words joined by `_`. */
const SNAKE_CASE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;
/** RFC 3339 in UTC with milliseconds, as `Date.prototype.toISOString` writes it. */
const RFC3339_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Epoch milliseconds of any time this century are at least 13 digits; no count in an answer is that large. */
const EPOCH_MS_FLOOR = 1e12;

/** Every problem with an answer's wire form: member names, times, epoch numbers; `[]` when none. */
function wireProblems(value: unknown, path = '$'): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => wireProblems(item, `${path}[${i}]`));
  if (typeof value === 'number' && value >= EPOCH_MS_FLOOR) return [`${path} looks like epoch ms`];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, member]) => {
    const at = `${path}.${key}`;
    const problems = SNAKE_CASE.test(key) ? [] : [`${at} is not snake_case`];
    const isTime = key.endsWith('_at') || key.endsWith('_until') || key === 'cutoff';
    if (isTime && member !== null && !isRfc3339(member)) problems.push(`${at} is not an RFC 3339 time`);
    return [...problems, ...wireProblems(member, at)];
  });
}

function isRfc3339(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    RFC3339_UTC_MS.test(value) &&
    !Number.isNaN(Date.parse(value)) &&
    new Date(Date.parse(value)).toISOString() === value
  );
}

const iso = (ms: number) => new Date(ms).toISOString();

describe('the admin API answers snake_case with RFC 3339 times, as its OpenAPI document says', () => {
  let service: RunningService;
  let http: Http;
  let issuer: string;
  let openapi: any;
  const ajv = new Ajv({ strict: true, allErrors: true });
  ajv.addFormat('date-time', { type: 'string', validate: isRfc3339 });
  const validators = new Map<string, ValidateFunction>();

  /** The answer's schema from /openapi.json (path in OpenAPI form: `/admin/users/{sub}/sessions`). */
  function schemaOf(method: string, path: string, status: number): object {
    const operation = openapi.paths[path]?.[method.toLowerCase()];
    const schema = operation?.responses?.[String(status)]?.content?.['application/json']?.schema;
    if (schema === undefined)
      throw new Error(`/openapi.json documents no ${status} answer of ${method} ${path}`);
    return schema;
  }

  /** Asserts the answer's wire form and that it validates against its documented schema. */
  function expectDocumented(
    answer: { status: number; body: unknown },
    method: string,
    path: string,
    status: number,
  ) {
    expect(answer.status, JSON.stringify(answer.body)).toBe(status);
    expect(wireProblems(answer.body), `${method} ${path}`).toEqual([]);
    const key = `${method} ${path} ${status}`;
    if (!validators.has(key)) validators.set(key, ajv.compile(schemaOf(method, path, status)));
    const validate = validators.get(key)!;
    expect(validate(answer.body) ? [] : validate.errors, `${key}: ${JSON.stringify(answer.body)}`).toEqual(
      [],
    );
  }

  const admin = (method: string, path: string, body?: unknown) =>
    http.call(method, path, { token: ADMIN_TOKEN, ...(body !== undefined && { body }) });
  const revoke = (rule: object) => admin('POST', '/admin/revocations', { rule });

  beforeAll(async () => {
    service = await startService('memory');
    http = new Http(service.url);
    openapi = (await http.get('/openapi.json')).body;
    issuer = (await http.get('/.well-known/oauth-authorization-server')).body.issuer;
  });
  afterAll(async () => service?.close());

  it('control: the checks above catch camelCase names, epoch numbers and other time texts', () => {
    expect(wireProblems({ a: { createdAt: 1 } })).toEqual(['$.a.createdAt is not snake_case']);
    expect(wireProblems({ created_at: Date.now() })).toHaveLength(2);
    expect(wireProblems({ cutoff: '2024-01-01T00:00:00Z' })).toEqual(['$.cutoff is not an RFC 3339 time']);
    expect(wireProblems({ verify_until: null, created_at: iso(Date.now()) })).toEqual([]);
    expect(ajv.validate({ type: 'string', format: 'date-time' }, '2024-02-30T00:00:00.000Z')).toBe(false);
  });

  it('revocations: every kind of rule is accepted in its wire form and answered in it', async () => {
    const tokens = await http.registerAndLogin('wire-ada');
    const { claims } = (await http.get('/api/me', tokens.access_token)).body;
    const expiresAt = iso(claims.exp * 1000);
    const sent = Date.now();

    const token = await revoke({ kind: 'token', token_id: claims.jti, expires_at: expiresAt });
    expectDocumented(token, 'POST', '/admin/revocations', 201);
    expect(token.body).toEqual({
      seq: expect.any(Number),
      rule: { kind: 'token', iss: issuer, token_id: claims.jti, expires_at: expiresAt },
      reason: 'admin',
      actor: 'admin',
      recorded_at: expect.any(String),
      forget_after: expect.any(String),
    });
    expect(Date.parse(token.body.recorded_at)).toBeGreaterThanOrEqual(sent - 1000);
    expect(Date.parse(token.body.forget_after)).toBeGreaterThan(claims.exp * 1000);
    // The rule written is the one sent: the token is refused now.
    expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');

    const session = await revoke({ kind: 'session', iss: issuer, sid: tokens.session_id });
    expectDocumented(session, 'POST', '/admin/revocations', 201);
    expect(session.body.rule).toEqual({
      kind: 'session',
      iss: issuer,
      sid: tokens.session_id,
      cutoff: expect.any(String),
    });
    expect(Date.parse(session.body.rule.cutoff)).toBeGreaterThanOrEqual(sent);

    const past = iso(Date.now() - 5000);
    const cases: [object, object][] = [
      [
        { kind: 'subject', iss: issuer, sub: claims.sub, cutoff: past },
        { kind: 'subject', iss: issuer, sub: claims.sub, cutoff: past },
      ],
      [
        { kind: 'key', kid: 'wire-kid', expires_at: expiresAt },
        { kind: 'key', iss: issuer, kid: 'wire-kid', expires_at: expiresAt },
      ],
      [
        { kind: 'issuer', iss: 'https://other.example', cutoff: past },
        { kind: 'issuer', iss: 'https://other.example', cutoff: past },
      ],
      [
        { kind: 'allow', iss: 'https://other.example', token_id: 'wire-allow', expires_at: expiresAt },
        { kind: 'allow', iss: 'https://other.example', token_id: 'wire-allow', expires_at: expiresAt },
      ],
    ];
    const written = [token.body, session.body];
    for (const [rule, expected] of cases) {
      const answer = await revoke(rule);
      expectDocumented(answer, 'POST', '/admin/revocations', 201);
      expect(answer.body.rule).toEqual(expected);
      written.push(answer.body);
    }

    // The audit trail answers the same events, in the same form.
    const trail = await admin('GET', '/admin/revocations?after=0&limit=1000');
    expectDocumented(trail, 'GET', '/admin/revocations', 200);
    expect(Object.keys(trail.body)).toEqual(['events']);
    for (const event of written) expect(trail.body.events).toContainEqual(event);
  });

  it('revocations: a time with an offset is the same instant, answered in UTC', async () => {
    const tokens = await http.registerAndLogin('wire-offset');
    const { claims } = (await http.get('/api/me', tokens.access_token)).body;
    const exp = new Date(claims.exp * 1000);
    const withOffset = `${iso(exp.getTime() + 2 * 3_600_000).slice(0, 19)}+02:00`;
    const answer = await revoke({ kind: 'token', token_id: claims.jti, expires_at: withOffset });
    expectDocumented(answer, 'POST', '/admin/revocations', 201);
    expect(answer.body.rule.expires_at).toBe(iso(Math.floor(exp.getTime() / 1000) * 1000));
  });

  it('revocations: the old camelCase form, epoch numbers, impossible dates and a future cutoff are refused, writing nothing', async () => {
    const tokens = await http.registerAndLogin('wire-refused');
    const { claims } = (await http.get('/api/me', tokens.access_token)).body;
    const before = (await admin('GET', '/admin/revocations?limit=1000')).body.events.length;
    const refusals: [object, RegExp][] = [
      [{ kind: 'token', tokenId: claims.jti, expiresAt: claims.exp * 1000 }, /token_id/],
      [{ kind: 'token', token_id: claims.jti, expires_at: claims.exp * 1000 }, /RFC 3339/],
      [{ kind: 'token', token_id: claims.jti, expires_at: '2030-02-30T00:00:00.000Z' }, /RFC 3339/],
      [{ kind: 'token', token_id: claims.jti, expires_at: 'tomorrow' }, /RFC 3339/],
      [{ kind: 'session', iss: issuer, sid: tokens.session_id, cutoff: iso(Date.now() + 30_000) }, /cutoff/],
      [{ kind: 'subject', iss: issuer, sub: claims.sub, cutoff: Date.now() - 1000 }, /RFC 3339/],
      [{ kind: 'everything' }, /kind/],
    ];
    for (const [rule, message] of refusals) {
      const answer = await revoke(rule);
      expect(answer.status, JSON.stringify(rule)).toBe(400);
      expect(answer.body.error, JSON.stringify(rule)).toBe('ERR_REVOCATION_INVALID');
      expect(answer.body.message, JSON.stringify(rule)).toMatch(message);
    }
    expect((await admin('GET', '/admin/revocations?limit=1000')).body.events).toHaveLength(before);
    expect((await http.get('/api/me', tokens.access_token)).status).toBe(200);
  });

  it('users and suspension', async () => {
    await http.registerAndLogin('wire-grace');
    const users = await admin('GET', '/admin/users?limit=500');
    expectDocumented(users, 'GET', '/admin/users', 200);
    const grace = users.body.users.find((u: { username: string }) => u.username === 'wire-grace');
    expect(grace).toEqual({
      id: expect.any(String),
      username: 'wire-grace',
      created_at: expect.any(String),
      suspended: false,
    });
    const path = `/admin/users/${encodeURIComponent(grace.id)}/suspension`;
    const suspended = await admin('POST', path, { suspended: true });
    expectDocumented(suspended, 'POST', '/admin/users/{sub}/suspension', 200);
    expect(suspended.body).toEqual({ suspended: true });
    expect((await admin('POST', path, { suspended: false })).body).toEqual({ suspended: false });
  });

  it("a user's sessions: the admin list and /auth/sessions share one form", async () => {
    const tokens = await http.registerAndLogin('wire-linus');
    const sub = (await http.get('/api/me', tokens.access_token)).body.claims.sub;
    const minted = await admin('POST', '/admin/sessions', { sub, scope: 'read', device: 'wire-device' });
    expectDocumented(minted, 'POST', '/admin/sessions', 201);
    expect(Object.keys(minted.body).sort()).toEqual(
      ['access_token', 'expires_in', 'refresh_token', 'scope', 'session_id', 'token_type'].sort(),
    );

    const listed = await admin('GET', `/admin/users/${encodeURIComponent(sub)}/sessions`);
    expectDocumented(listed, 'GET', '/admin/users/{sub}/sessions', 200);
    const byId = new Map(listed.body.sessions.map((s: { id: string }) => [s.id, s]));
    expect([...byId.keys()].sort()).toEqual([tokens.session_id, minted.body.session_id].sort());
    const trusted: any = byId.get(minted.body.session_id);
    expect(trusted).toEqual({
      id: minted.body.session_id,
      client_id: 'trusted-backend',
      scope: 'read',
      device: 'wire-device',
      ip: '127.0.0.1',
      created_at: expect.any(String),
      last_seen_at: expect.any(String),
      expires_at: expect.any(String),
      refresh_generation: 1,
    });
    expect(Date.parse(trusted.expires_at)).toBeGreaterThan(Date.parse(trusted.created_at));

    const own = await http.get('/auth/sessions', tokens.access_token);
    expectDocumented(own, 'GET', '/auth/sessions', 200);
    expect(own.body.sessions).toHaveLength(2);
    for (const session of own.body.sessions) {
      expect(session).toEqual({
        ...(byId.get(session.id) as object),
        current: session.id === tokens.session_id,
      });
    }

    expect((await admin('DELETE', `/admin/sessions/${minted.body.session_id}`)).status).toBe(204);
    const after = await admin('GET', `/admin/users/${encodeURIComponent(sub)}/sessions`);
    expect(after.body.sessions.map((s: { id: string }) => s.id)).toEqual([tokens.session_id]);
  });

  it('keys: states and times, before and after a rotation', async () => {
    const keys = await admin('GET', '/admin/keys');
    expectDocumented(keys, 'GET', '/admin/keys', 200);
    for (const key of keys.body.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'created_at', 'kid', 'state', 'verify_until']);
      expect(key.verify_until).toBeNull(); // nothing has retired yet
    }
    const active = keys.body.keys.find((k: { state: string }) => k.state === 'active');
    const rotated = await admin('POST', '/admin/keys/rotate');
    expectDocumented(rotated, 'POST', '/admin/keys/rotate', 200);
    const retired = rotated.body.keys.find((k: { kid: string }) => k.kid === active.kid);
    expect(retired).toEqual({ ...active, state: 'retired', verify_until: expect.any(String) });
    expect(Date.parse(retired.verify_until)).toBeGreaterThan(Date.now());
  });

  it("replica: the process's figures, durations in ms, times in RFC 3339", async () => {
    const tokens = await http.registerAndLogin('wire-replica');
    await http.post('/auth/logout', undefined, tokens.access_token);
    const last = (await admin('GET', '/admin/revocations?limit=1000')).body.events.at(-1);
    const replica = await admin('GET', '/admin/replica');
    expectDocumented(replica, 'GET', '/admin/replica', 200);
    expect(Object.keys(replica.body).sort()).toEqual(
      [
        'allowed',
        'behind',
        'bootstraps',
        'fresh_at',
        'issuers',
        'keys',
        'last_event_age_ms',
        'last_event_at',
        'last_seq',
        'log_last_seq',
        'purged',
        'sessions',
        'source_seq',
        'stale',
        'stale_accepts',
        'staleness_ms',
        'subjects',
        'token_table_bytes',
        'tokens',
      ].sort(),
    );
    expect(replica.body).toMatchObject({
      log_last_seq: last.seq,
      last_seq: last.seq,
      behind: 0,
      stale: false,
    });
    expect(replica.body.last_event_at).toBe(last.recorded_at);
    expect(typeof replica.body.staleness_ms).toBe('number');
    expect(typeof replica.body.last_event_age_ms).toBe('number');
  });
});
