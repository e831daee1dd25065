import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildApp, loadConfig, type RunningService } from '@revocable/server';
import { openRuntime } from '@revocable/server/internal';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSE_HEARTBEAT_MS } from '../src/routes/feed.js';
import { Contract, type OpenApiDocument } from './support/contract.js';
import { ADMIN_TOKEN, CLIENT, Http, startService } from './support/service.js';

const clientBasic = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation of a document, as `[method, path, operation]`. */
function operationsOf(document: any): [string, string, any][] {
  return Object.entries(document.paths).flatMap(([path, item]: [string, any]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]): [string, string, any] => [method.toUpperCase(), path, operation]),
  );
}

async function validateDocument(document: unknown) {
  return new Validator().validate(structuredClone(document) as Record<string, unknown>);
}

/** Reads SSE events from a stream until `done` says it has enough (or the time is up). */
async function readEvents(
  response: Response,
  done: (events: { id?: string; event: string; data: string }[]) => boolean,
  timeoutMs = 10_000,
) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: { id?: string; event: string; data: string }[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  try {
    while (!done(events) && Date.now() < deadline) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      buffer += value;
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]),
        );
        if (fields['event'] !== undefined)
          events.push({
            event: fields['event'],
            data: fields['data'] ?? '',
            ...(fields['id'] !== undefined && { id: fields['id'] }),
          });
      }
    }
  } finally {
    await reader.cancel();
  }
  return events;
}

describe('/openapi.json is a valid contract that documents every answer', () => {
  let service: RunningService;
  let http: Http;
  let document: any;
  let contract: Contract;

  beforeAll(async () => {
    // --status-list: its optional route is documented and checked like every other.
    service = await startService('memory', ['--status-list']);
    http = new Http(service.url);
    document = (await http.get('/openapi.json')).body;
    contract = await Contract.of(service.url);
  });
  afterAll(async () => service?.close());

  it('control: the validator refuses a document that is not valid OpenAPI', async () => {
    const broken = structuredClone(document);
    delete broken.paths['/healthz'].get.responses['200'].description; // a response needs a description
    expect((await validateDocument(broken)).valid).toBe(false);
    const badRef = structuredClone(document);
    badRef.paths['/healthz'].get.responses['200'].content['application/json'].schema = {
      $ref: '#/components/schemas/NoSuchSchema',
    };
    expect((await validateDocument(badRef)).valid).toBe(false);
  });

  it('is valid OpenAPI according to @seriousme/openapi-schema-validator', async () => {
    const result = await validateDocument(document);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)?.slice(0, 2000)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toMatch(/^3\.0\./);
  });

  it('documents an answer for every status of every operation: no "Default Response", a body schema or none', () => {
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThan(25);
    for (const [method, path, operation] of operations) {
      const where = `${method} ${path}`;
      const statuses = Object.keys(operation.responses);
      expect(
        statuses.some((status) => status.startsWith('2')),
        where,
      ).toBe(true);
      expect(statuses, where).toContain('500');
      for (const status of statuses) {
        const response = operation.responses[status];
        expect(response.description, `${where} ${status}`).not.toBe('Default Response');
        const json = response.content?.['application/json']?.schema;
        // /readyz answers its own body when not ready: what load balancers and people read.
        if (Number(status) >= 400 && !(path === '/readyz' && status === '503')) {
          expect(JSON.stringify(json), `${where} ${status}`).toMatch(/#\/components\/schemas\/(OAuth)?Error/);
        }
      }
      if (method !== 'GET') expect(statuses, where).toEqual(expect.arrayContaining(['400', '413', '415']));
    }
    expect(document.paths['/openapi.json']).toBeUndefined();
    expect(document.paths['/demo']).toBeUndefined();
  });

  it('logout and ending a session are 204 with no body', () => {
    for (const [path, method] of [
      ['/auth/logout', 'post'],
      ['/auth/sessions/{sid}', 'delete'],
      ['/admin/sessions/{sid}', 'delete'],
    ] as const) {
      const responses = document.paths[path][method].responses;
      expect(
        Object.keys(responses).filter((s) => s.startsWith('2')),
        path,
      ).toEqual(['204']);
      expect(responses['204'].content, path).toBeUndefined();
    }
  });

  it('names the credential each operation needs', () => {
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(
      ['admin', 'bearer', 'client', 'metrics', 'refresh_cookie'].sort(),
    );
    const expected = (method: string, path: string): string[][] | undefined => {
      if (path.startsWith('/admin/')) return [['admin']];
      if (path.startsWith('/revocations')) return [['client'], ['admin']];
      if (path === '/oauth/revoke' || path === '/oauth/introspect') return [['client']];
      if (path === '/oauth/token') return [[], ['client']];
      if (path === '/auth/refresh') return [[], ['refresh_cookie']];
      if (path === '/metrics') return [[], ['metrics']];
      if (path === '/api/me' || path.startsWith('/auth/sessions')) return [['bearer']];
      if (['/auth/logout', '/auth/logout-all', '/auth/password'].includes(path)) return [['bearer']];
      void method;
      return undefined; // public
    };
    for (const [method, path, operation] of operationsOf(document)) {
      const given = operation.security?.map((requirement: object) => Object.keys(requirement));
      expect(given, `${method} ${path}`).toEqual(expected(method, path));
    }
  });

  it('documents form bodies (and JSON) on /oauth/*', () => {
    for (const path of ['/oauth/token', '/oauth/revoke', '/oauth/introspect']) {
      const content = document.paths[path].post.requestBody.content;
      expect(Object.keys(content).sort(), path).toEqual([
        'application/json',
        'application/x-www-form-urlencoded',
      ]);
      expect(Object.keys(content['application/x-www-form-urlencoded'].schema.properties), path).toContain(
        'client_id',
      );
    }
  });

  it('spells out every kind of revocation rule, in the admin form and in the feed form', () => {
    const kinds = (schema: any) => schema.oneOf.map((branch: any) => branch.properties.kind.enum[0]).sort();
    const all = ['allow', 'issuer', 'key', 'session', 'subject', 'token'];
    expect(kinds(document.components.schemas.Rule)).toEqual(all);
    expect(kinds(document.components.schemas.FeedRule)).toEqual(all);
    for (const branch of document.components.schemas.FeedRule.oneOf) expect(branch.description).toBeTruthy();
    const admin = document.paths['/admin/revocations'].post.requestBody.content['application/json'].schema;
    expect(kinds(admin.properties.rule)).toEqual(all);
  });

  it("documents the feed's answers and events: snapshot, catch-up, SSE types, id, resume, heartbeat period", () => {
    const feed = document.paths['/revocations'].get;
    expect(JSON.stringify(feed.responses['200'])).toMatch(/FeedSnapshot.*FeedCatchUp/);
    expect(feed.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['after', 'limit']);
    const stream = document.paths['/revocations/stream'].get;
    expect(Object.keys(stream.responses['200'].content)).toEqual(['text/event-stream']);
    expect(Object.keys(stream['x-sse-events']).sort()).toEqual(['heartbeat', 'revocation']);
    expect(stream.description).toMatch(/Last-Event-ID/);
    expect(stream.description).toMatch(/id: <seq>/);
    expect(stream.description).toContain(`${SSE_HEARTBEAT_MS / 1000} s`);
    expect(stream.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['after', 'last-event-id']);
  });

  it('control: an answer that drifts from the document fails the check, naming route, status and reason', () => {
    const json = 'application/json; charset=utf-8';
    const ok = { method: 'GET', path: '/healthz', status: 200, contentType: json, text: '{"status":"ok"}' };
    expect(contract.problems(ok)).toEqual([]);
    expect(() => contract.check({ ...ok, text: '{"status":"ok","extra":1}' })).toThrow(
      /GET \/healthz answered 200.*\n.*additionalProperty: "extra"/,
    );
    expect(() => contract.check({ ...ok, status: 418 })).toThrow(/status 418 is not documented/);
    expect(() => contract.check({ ...ok, contentType: 'text/html' })).toThrow(/content type text\/html/);
    const logout = { method: 'POST', path: '/auth/logout', status: 204, contentType: null, text: '' };
    expect(contract.problems(logout)).toEqual([]);
    expect(contract.problems({ ...logout, text: '{}', contentType: json })).toHaveLength(1);
    const unknown = { method: 'GET', path: '/nowhere', status: 404, contentType: json, text: '' };
    expect(contract.problems({ ...unknown, text: '{"error":"ERR_NOT_FOUND","message":"x"}' })).toEqual([]);
    expect(contract.problems({ ...unknown, text: '{"error":"not_found"}' }).length).toBeGreaterThan(0);
    const session = { method: 'GET', path: '/auth/sessions', status: 200, contentType: json };
    const time = '2025-01-31T12:00:00.000Z';
    const listed = {
      id: 's',
      client_id: 'c',
      scope: null,
      device: null,
      ip: null,
      created_at: time,
      last_seen_at: time,
      expires_at: time,
      refresh_generation: 1,
      current: true,
    };
    expect(contract.problems({ ...session, text: JSON.stringify({ sessions: [listed] }) })).toEqual([]);
    const epoch = { ...listed, created_at: Date.parse(time) };
    expect(contract.problems({ ...session, text: JSON.stringify({ sessions: [epoch] }) })).toHaveLength(1);
    const offset = { ...listed, created_at: '2025-01-31T14:00:00+02:00' };
    expect(contract.problems({ ...session, text: JSON.stringify({ sessions: [offset] }) })[0]).toMatch(
      /created_at must match format "date-time"/,
    );
    expect(contract.sseProblems('/revocations/stream', 'heartbeat', '{"seq":0,"at":1}')).toEqual([]);
    expect(contract.sseProblems('/revocations/stream', 'heartbeat', '{"seq":0}')).toHaveLength(1);
    expect(contract.sseProblems('/revocations/stream', 'gossip', '{}')).toHaveLength(1);
  });

  it('control: Http.call fails a test whose answer drifts from the document it was served with', async () => {
    const answers: Record<string, [number, string]> = {
      '/openapi.json': [200, JSON.stringify(document)],
      '/healthz': [200, '{"status":"ok","uptime_s":1}'],
      '/auth/logout': [200, '{}'],
    };
    const drifting = createServer((request, response) => {
      const [status, body] = answers[request.url ?? ''] ?? [404, '{"error":"ERR_NOT_FOUND","message":"x"}'];
      response.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => drifting.listen(0, '127.0.0.1', resolve));
    try {
      const base = `http://127.0.0.1:${(drifting.address() as AddressInfo).port}`;
      const client = new Http(base);
      await expect(client.get('/healthz')).rejects.toThrow(
        /GET \/healthz answered 200, which \/openapi.json \(\/healthz\) does not describe:\n.*"uptime_s"/,
      );
      await expect(client.post('/auth/logout')).rejects.toThrow(
        /status 200 is not documented \(documented: 204/,
      );
      expect((await client.get('/nowhere')).status).toBe(404); // an error in the common form passes
    } finally {
      drifting.close();
    }
  });

  it('no member is ever dropped: the answers carry what the handlers produce, claims included', async () => {
    const minted = await http.call('POST', '/admin/sessions', {
      token: ADMIN_TOKEN,
      body: { sub: 'contract-user', claims: { plan: 'pro', org: { id: 7 } } },
    });
    expect(minted.status).toBe(201);
    const payload = JSON.parse(Buffer.from(minted.body.access_token.split('.')[1], 'base64url').toString());
    const me = await http.get('/api/me', minted.body.access_token);
    expect(me.body.claims).toEqual(payload);
    const introspected = await http.call('POST', '/oauth/introspect', {
      headers: { authorization: clientBasic, 'content-type': 'application/x-www-form-urlencoded' },
      raw: new URLSearchParams({ token: minted.body.access_token }).toString(),
    });
    expect(introspected.body).toEqual({ ...payload, active: true, token_type: 'access_token' });
  });

  it('control: a response schema that lists no member filters nothing (the app never drops members)', async () => {
    const config = loadConfig(['--database', 'memory', '--log-level', 'silent'], {});
    const runtime = await openRuntime(config);
    const app = await buildApp(runtime, { logger: false });
    try {
      app.get('/probe', { schema: { response: { 200: { type: 'object', properties: {} } } } }, async () => ({
        kept: 1,
      }));
      const answer = await app.inject({ method: 'GET', url: '/probe' });
      expect(answer.json()).toEqual({ kept: 1 });
    } finally {
      await app.close();
      await runtime.close();
    }
  });

  it("the stream's events are the documented ones: id is the seq, data matches its schema", async () => {
    const before = (await http.call('GET', '/revocations', { headers: { authorization: clientBasic } })).body;
    expect(before.type).toBe('snapshot');
    const response = await fetch(`${service.url}/revocations/stream`, {
      headers: { authorization: clientBasic, 'last-event-id': String(before.seq) },
    });
    expect(response.status).toBe(200);
    const opened = { method: 'GET', path: '/revocations/stream', status: 200, text: '' };
    expect(contract.problems({ ...opened, contentType: response.headers.get('content-type') })).toEqual([]);
    const tokens = await http.registerAndLogin('contract-stream');
    expect((await http.post('/auth/logout', undefined, tokens.access_token)).status).toBe(204);
    const events = await readEvents(
      response,
      (seen) => seen.some((e) => e.event === 'revocation') && seen.some((e) => e.event === 'heartbeat'),
    );
    const revocation = events.find((e) => e.event === 'revocation')!;
    expect(revocation).toBeDefined();
    expect(revocation.id).toBe(String(JSON.parse(revocation.data).seq));
    expect(JSON.parse(revocation.data).rule).toMatchObject({ kind: 'session', sid: tokens.session_id });
    expect(events.some((e) => e.event === 'heartbeat')).toBe(true);
    for (const { event, data } of events)
      expect(contract.sseProblems('/revocations/stream', event, data)).toEqual([]);
    // The catch-up answer carries the same event, in the same form.
    const after = await http.call('GET', `/revocations?after=${before.seq}`, {
      headers: { authorization: clientBasic },
    });
    expect(after.body.events).toContainEqual(JSON.parse(revocation.data));
  });
});

describe('every operation of /openapi.json is a route of the service', () => {
  it('answers each documented operation, called without a credential, as documented (never "No such route")', async () => {
    const service = await startService('memory');
    try {
      const http = new Http(service.url); // checks each answer against the document
      const document = (await http.get('/openapi.json')).body as OpenApiDocument;
      for (const [method, path] of operationsOf(document)) {
        const concrete = path.replace(/\{[^}]+\}/g, 'x');
        const answer = await http.call(method, concrete, method === 'POST' ? { body: {} } : {});
        expect(answer.body?.message, `${method} ${path}`).not.toBe('No such route.');
      }
    } finally {
      await service.close();
    }
  });
});
