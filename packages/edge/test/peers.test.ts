// The edge with real peers: Debian's nginx (auth_request) and caddy (forward_auth) in front of Java
// upstreams (the JDK alone: one reads the identity headers, one verifies the edge's assertion JWT),
// a Java client introspecting as Spring Security does, and `revocable edge` as its own process
// against a real service. Skips outside CI when a binary is missing; fails in CI.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listening,
  type Peer,
  peersAvailable,
  rawExchange,
  runJava,
  startCaddy,
  startEdgeProcess,
  startJava,
  startNginx,
  tempPrefix,
} from './support/peers.js';
import { CLIENT, eventually, freePort, startTestService, type TestService } from './support/service.js';

const INTROSPECTOR = { id: 'spring-api', secret: 'introspection-secret-0123456789' };
const AUDIENCE = 'orders-api';
const SPOOF = {
  'X-Revocable-Sub': 'admin',
  'X-Revocable-Iss': 'https://evil.example',
  'X-Revocable-Scope': 'orders:admin',
  'X-Revocable-Claims': 'eyJzdWIiOiJhZG1pbiJ9',
  'X-Revocable-Assertion': 'forged',
};

const runs = peersAvailable(['nginx', 'java'], 'edge with nginx and Java');
const caddyRuns = runs && peersAvailable(['caddy'], 'edge with caddy');

let service: TestService;
let edgeUrl: string;
let identityPort: number;
let nginxBase: string | undefined;
let assertionPort: number;
const peers: Peer[] = [];
const prefixes: { remove(): void }[] = [];

/** What the Java identity upstream answers: the X-Revocable-* headers it received, and the claims. */
interface Seen {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly claims?: Record<string, unknown>;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  if (!runs) return;
  service = await startTestService();
  [identityPort, assertionPort] = [await freePort(), await freePort()];
  const edgePort = await freePort();
  edgeUrl = `http://127.0.0.1:${edgePort}`;
  const [identity, assertion, edgeProcess] = await Promise.all([
    startJava('IdentityUpstream.java', [String(identityPort)]),
    startJava('AssertionUpstream.java', [
      String(assertionPort),
      `${edgeUrl}/_revocable/jwks.json`,
      edgeUrl,
      AUDIENCE,
    ]),
    startEdgeProcess(
      [
        '--service',
        service.issuer,
        '--client-id',
        CLIENT.id,
        '--port',
        String(edgePort),
        '--upstream',
        `http://127.0.0.1:${identityPort}`,
        '--public',
        '/public/*',
        '--scope',
        '/orders/*=orders:read',
        '--assertion',
        'header',
        '--assertion-audience',
        AUDIENCE,
        '--introspection-client',
        INTROSPECTOR.id,
        '--max-staleness-ms',
        '3000',
        '--log-level',
        'warn',
      ],
      { REVOCABLE_CLIENT_SECRET: CLIENT.secret, REVOCABLE_INTROSPECTION_SECRET: INTROSPECTOR.secret },
    ),
  ]);
  peers.push(identity, assertion, edgeProcess);
}, 180_000);

afterAll(async () => {
  for (const peer of peers.splice(0).reverse()) await peer.stop();
  for (const prefix of prefixes.splice(0)) prefix.remove();
  await service?.service.close();
});

/** The nginx recipe of docs/any-backend.md, on these ports. */
function nginxConf(dir: string, port: number): string {
  const headers = ['sub', 'iss', 'scope', 'claims', 'assertion'];
  return `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream revocable_edge { server 127.0.0.1:${new URL(edgeUrl).port}; keepalive 16; }
  upstream api { server 127.0.0.1:${identityPort}; keepalive 16; }
  upstream api_with_assertion { server 127.0.0.1:${assertionPort}; keepalive 16; }
  server {
    listen 127.0.0.1:${port};
    location = /_revocable_auth {
      internal;
      proxy_pass http://revocable_edge/_revocable/auth;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Forwarded-Method $request_method;
      proxy_set_header X-Forwarded-Uri $request_uri;
    }
    location / {
      auth_request /_revocable_auth;
${headers.map((h) => `      auth_request_set $revocable_${h} $upstream_http_x_revocable_${h};`).join('\n')}
${headers.map((h) => `      proxy_set_header X-Revocable-${h[0]!.toUpperCase()}${h.slice(1)} $revocable_${h};`).join('\n')}
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://api;
    }
    location /with-assertion/ {
      auth_request /_revocable_auth;
      auth_request_set $revocable_assertion $upstream_http_x_revocable_assertion;
      proxy_set_header Authorization "Bearer $revocable_assertion";
${headers.map((h) => `      proxy_set_header X-Revocable-${h[0]!.toUpperCase()}${h.slice(1)} "";`).join('\n')}
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_pass http://api_with_assertion;
    }
  }
}
`;
}

/** The Caddy recipe of docs/any-backend.md, on these ports. */
function caddyfile(port: number): string {
  return `{
  admin off
  auto_https off
}
http://127.0.0.1:${port} {
  bind 127.0.0.1
  route {
    request_header -X-Revocable-*
    forward_auth 127.0.0.1:${new URL(edgeUrl).port} {
      uri /_revocable/auth
      copy_headers X-Revocable-Sub X-Revocable-Iss X-Revocable-Scope X-Revocable-Claims
    }
    reverse_proxy 127.0.0.1:${identityPort}
  }
}
`;
}

async function seen(answer: Response): Promise<Seen> {
  expect(answer.status).toBe(200);
  return (await answer.json()) as Seen;
}

/** The behaviour every front end shares, run once per front end (nginx, caddy, the edge's own proxy). */
function frontEndBehaviour(name: string, base: () => string) {
  it(`${name} control: a valid token reaches the Java upstream with its identity`, async () => {
    const { access_token } = await service.mint(`${name}-alice`, 'orders:read');
    const body = await seen(await fetch(`${base()}/orders/1`, { headers: bearer(access_token) }));
    expect(body.headers['x-revocable-sub']).toBe(`${name}-alice`);
    expect(body.headers['x-revocable-iss']).toBe(service.issuer);
    expect(body.headers['x-revocable-scope']).toBe('orders:read');
    expect(body.claims).toMatchObject({ sub: `${name}-alice`, scope: 'orders:read' });
  });

  it(`${name}: no token is refused with the RFC 6750 challenge`, async () => {
    const answer = await fetch(`${base()}/orders/1`);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it(`${name}: spoofed identity headers never reach the upstream`, async () => {
    // A public path: no identity (Caddy passes the forward-auth answer's empty headers on as empty).
    const open = await seen(await fetch(`${base()}/public/a`, { headers: SPOOF }));
    expect(Object.values(open.headers).filter((value) => value !== '')).toEqual([]);
    const { access_token } = await service.mint(`${name}-bob`, 'orders:read');
    const body = await seen(
      await fetch(`${base()}/orders/1`, { headers: { ...SPOOF, ...bearer(access_token) } }),
    );
    expect(body.headers['x-revocable-sub']).toBe(`${name}-bob`);
    expect(body.headers['x-revocable-iss']).toBe(service.issuer);
    expect(body.headers['x-revocable-scope']).toBe('orders:read');
    expect(body.claims?.['sub']).toBe(`${name}-bob`);
    expect(body.headers['x-revocable-assertion']).not.toBe('forged');
  });

  it(`${name}: a token revoked at the service is refused within the propagation bound`, async () => {
    const { access_token } = await service.mint(`${name}-carol`, 'orders:read');
    const call = () => fetch(`${base()}/orders/1`, { headers: bearer(access_token) });
    expect((await call()).status).toBe(200);
    await service.logout(access_token);
    const answer = await eventually(call, (a) => a.status !== 200, 10_000);
    expect(answer.status).toBe(401);
    expect(answer.headers.get('www-authenticate')).toContain('ERR_TOKEN_REVOKED');
  });
}

describe.skipIf(!runs)('nginx auth_request → revocable edge → Java upstream', () => {
  let nginxPort: number;
  beforeAll(async () => {
    nginxPort = await freePort();
    const prefix = tempPrefix('nginx');
    prefixes.push(prefix);
    peers.push(await startNginx(prefix.dir, nginxConf(prefix.dir, nginxPort), nginxPort));
    nginxBase = `http://127.0.0.1:${nginxPort}`;
  }, 60_000);

  frontEndBehaviour('nginx', () => `http://127.0.0.1:${nginxPort}`);

  it('nginx: the client cannot choose the URI the rules see', async () => {
    const answer = await fetch(`http://127.0.0.1:${nginxPort}/orders/1`, {
      headers: { 'X-Forwarded-Uri': '/public/a', 'X-Forwarded-Method': 'GET' },
    });
    expect(answer.status).toBe(401);
  });

  it('nginx: the Java upstream verifies the assertion JWT with the JDK alone', async () => {
    const { access_token } = await service.mint('nginx-dora', 'orders:read');
    const answer = await fetch(`http://127.0.0.1:${nginxPort}/with-assertion/orders/1`, {
      headers: bearer(access_token),
    });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ sub: 'nginx-dora', scope: 'orders:read' });
  });

  it('control: the Java verifier refuses a forged assertion, so its 200 above means something', async () => {
    const [header, payload] = ['{"alg":"RS256","typ":"JWT","kid":"x"}', '{"sub":"admin"}'].map((part) =>
      Buffer.from(part).toString('base64url'),
    );
    const answer = await fetch(`http://127.0.0.1:${assertionPort}/orders/1`, {
      headers: bearer(`${header}.${payload}.c2ln`),
    });
    expect(answer.status).toBe(401);
  });

  it('nginx: request smuggling (Content-Length and Transfer-Encoding) never reaches the upstream', async () => {
    const raw =
      'POST /public/a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /orders/1 HTTP/1.1\r\nHost: x\r\nX-Revocable-Sub: admin\r\n\r\n';
    const viaNginx = await rawExchange(nginxPort, raw);
    expect(viaNginx).not.toContain('"x-revocable-sub":"admin"');
    const direct = await rawExchange(Number(new URL(edgeUrl).port), raw);
    expect(direct).toMatch(/^HTTP\/1\.1 400/);
    expect(direct).toContain('ERR_BAD_REQUEST');
    expect(direct.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });
});

describe.skipIf(!caddyRuns)('caddy forward_auth → revocable edge → Java upstream', () => {
  let caddyPort: number;
  beforeAll(async () => {
    caddyPort = await freePort();
    const prefix = tempPrefix('caddy');
    prefixes.push(prefix);
    peers.push(await startCaddy(prefix.dir, caddyfile(caddyPort), caddyPort));
  }, 60_000);

  frontEndBehaviour('caddy', () => `http://127.0.0.1:${caddyPort}`);
});

describe.skipIf(!runs)("the edge's own proxy → Java upstream", () => {
  frontEndBehaviour('edge', () => edgeUrl);
});

describe.skipIf(!runs)('a Java client introspects at the edge as Spring Security does', () => {
  const introspect = (token: string, secret = INTROSPECTOR.secret) =>
    runJava('IntrospectionClient.java', [`${edgeUrl}/_revocable/introspect`, INTROSPECTOR.id, secret, token]);

  it('control: an active token, with the members Spring reads', async () => {
    const { access_token } = await service.mint('spring-erin', 'orders:read profile');
    const { code, stdout } = await introspect(access_token);
    expect(code).toBe(0);
    expect(stdout).toContain('active=true');
    expect(stdout).toContain('authorities=SCOPE_orders:read,SCOPE_profile');
    expect(stdout).toContain('sub=spring-erin');
    expect(stdout).toContain(`iss=${service.issuer}`);
    expect(stdout).toMatch(/client_id=\S+/);
    expect(stdout).toMatch(/exp=\d{4}-\d\d-\d\dT/);
    expect(stdout).toMatch(/iat=\d{4}-\d\d-\d\dT/);
    expect(stdout).toMatch(/aud=\S+/);
    expect(stdout).toContain('token_type=Bearer');
  }, 60_000);

  it('a revoked token is inactive; a wrong secret is a 401', async () => {
    const { access_token } = await service.mint('spring-finn', 'orders:read');
    await service.logout(access_token);
    const revoked = await eventually(
      async () => introspect(access_token),
      (r) => r.stdout.includes('active=false'),
      20_000,
    );
    expect(revoked.stdout.trim()).toBe('active=false');
    const wrong = await introspect(access_token, 'wrong-secret-0123456789');
    expect(wrong.code).toBe(3);
    expect(wrong.stdout.trim()).toBe('status=401');
  }, 90_000);
});

describe.skipIf(!runs)('cut off from its feed', () => {
  it('the edge fails closed after maxStalenessMs: 503 direct, and nginx refuses too', async () => {
    const { access_token } = await service.mint('stale-gus', 'orders:read');
    const direct = () => fetch(`${edgeUrl}/orders/1`, { headers: bearer(access_token) });
    expect((await direct()).status).toBe(200);
    await service.service.close();
    const answer = await eventually(direct, (a) => a.status !== 200, 20_000);
    expect(answer.status).toBe(503);
    expect(await answer.json()).toMatchObject({ error: 'ERR_REVOCATION_STALE' });
    if (nginxBase !== undefined) {
      // auth_request turns any answer but 2xx, 401 and 403 into a 500: closed all the same.
      const viaNginx = await fetch(`${nginxBase}/orders/1`, { headers: bearer(access_token) });
      expect(viaNginx.status).toBe(500);
    }
    expect(await listening(Number(new URL(edgeUrl).port))).toBe(true);
  }, 40_000);
});
