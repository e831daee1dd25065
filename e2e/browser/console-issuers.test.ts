// The console's Issuers view with a service that trusts two issuers from its --config file: one whose
// JWKS is served (a stand-in: a JWKS endpoint, tokens signed with jose), and one whose JWKS cannot be
// reached. Revoking through the view writes the rule, and the external token is then inactive.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type RunningService, serve } from '@revocable/server';
import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  sendJson,
  startServer,
  type TestServer,
} from '../../packages/core/test/external/support/json-server.js';
import { type IssuerKey, issuerKey, jwks, sign } from '../../packages/core/test/external/support/keys.js';
import { ADMIN_TOKEN, freePort, Http } from '../../packages/server/test/support/service.js';
import { describeInChromium, eventually, launchChromium, screenshot } from './support/browser.js';

const INTROSPECTOR = { id: 'orders-api', secret: 'orders-api-secret-0123456789' };
/** Markup in configuration must show as text: the unreachable issuer's iss and audience carry some. */
const HOSTILE_PATH = '<img src=x onerror=window.__xss=1>';
const HOSTILE_AUDIENCE = '<script>window.__xss=2</script>';

interface RuleEvent {
  seq: number;
  rule: { kind: string; iss?: string; sub?: string; sid?: string };
  reason: string;
  actor: string;
}

/** Accepts the next confirm() the page opens, and returns its message. */
function answerNextDialog(page: Page, accept: boolean): Promise<string> {
  return new Promise((resolve) => {
    page.once('dialog', (dialog) => {
      resolve(dialog.message());
      void (accept ? dialog.accept() : dialog.dismiss());
    });
  });
}

/** The text of the `dd` after the `dt` named `term` in an issuer's card. */
function fact(card: Locator, term: string): Locator {
  return card.locator(`dt:text-is("${term}") + dd`);
}

describeInChromium('the Issuers view of the admin console in Chromium', () => {
  let key: IssuerKey;
  let op: TestServer;
  let upIssuer: string;
  let downIssuer: string;
  let dir: string;
  let service: RunningService;
  let base: string;
  let http: Http;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  const now = () => Math.floor(Date.now() / 1000);
  /** A Keycloak-shaped access token of the reachable issuer. */
  const upToken = (claims: Record<string, unknown>) =>
    sign(
      key,
      {
        iss: upIssuer,
        aud: 'orders',
        azp: 'spa',
        scope: 'openid orders',
        jti: `jti-${Math.random()}`,
        sid: `sid-${Math.random()}`,
        iat: now() - 2,
        exp: now() + 240,
        ...claims,
      },
      { typ: 'JWT' },
    );
  const introspect = async (token: string) => {
    const basic = Buffer.from(`${INTROSPECTOR.id}:${INTROSPECTOR.secret}`).toString('base64');
    const answer = await http.call('POST', '/oauth/introspect', {
      raw: new URLSearchParams({ token }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
    });
    expect(answer.status).toBe(200);
    return answer.body as { active: boolean };
  };
  const events = async (): Promise<RuleEvent[]> =>
    (await http.call('GET', '/admin/revocations?limit=1000', { token: ADMIN_TOKEN })).body.events;
  const card = (heading: string) => page.getByRole('article', { name: heading, exact: true });

  beforeAll(async () => {
    key = await issuerKey('up-key-1', 'RS256');
    op = await startServer((req, res) =>
      req.url === '/jwks' ? sendJson(res, jwks(key)) : sendJson(res, {}, 404),
    );
    upIssuer = `${op.origin}/realms/shop`;
    // Nothing listens on this port: the issuer's keys cannot be fetched.
    const deadPort = await freePort();
    downIssuer = `http://127.0.0.1:${deadPort}/${HOSTILE_PATH}`;
    const port = await freePort();
    base = `http://localhost:${port}`;
    dir = mkdtempSync(join(tmpdir(), 'revocable-console-issuers-'));
    const configPath = join(dir, 'revocable.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        port,
        issuer: base,
        database: 'memory',
        adminToken: ADMIN_TOKEN,
        logLevel: 'silent',
        trustedIssuers: [
          {
            id: 'up',
            profile: 'keycloak',
            issuer: upIssuer,
            jwksUri: `${op.origin}/jwks`,
            audience: 'orders',
            maxTokenLifetime: 300,
            allowInsecureLocalhost: true,
            backchannelLogout: { clientId: 'spa' },
          },
          {
            id: 'down',
            profile: 'auth0',
            issuer: downIssuer,
            jwksUri: `http://127.0.0.1:${deadPort}/jwks`,
            audience: [HOSTILE_AUDIENCE],
            maxTokenLifetime: 5400,
            allowInsecureLocalhost: true,
          },
        ],
        clients: [{ ...INTROSPECTOR, permissions: { introspect: ['self', 'up', 'down'] } }],
      }),
    );
    service = await serve(loadConfig(['--config', configPath], {}), { logger: false });
    http = new Http(base);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${base}/console`);
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await page.getByLabel('Admin token').press('Enter');
    await page.waitForSelector('#console-body:not([hidden])');
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
    await op?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists its own issuer and each trusted issuer, ready or unavailable with the last error', async () => {
    const { issuers } = (await http.call('GET', '/admin/issuers', { token: ADMIN_TOKEN })).body;
    const [up, down] = issuers;
    // Control: the service itself sees one issuer up and one down, so the view has both states to show.
    expect(up).toMatchObject({ id: 'up', state: 'ready', kids: ['up-key-1'] });
    expect(down).toMatchObject({ id: 'down', state: 'unavailable', kids: [], keys_fetched_at: null });
    expect(down.last_error?.code).toMatch(/^ERR_/);

    await eventually(() => page.locator('#issuers article').count()).toBe(3);
    expect(await page.locator('#issuers article h3').allTextContents()).toEqual([
      'This service',
      'up',
      'down',
    ]);
    expect(await page.textContent('#issuers-status')).toBe('2 trusted issuers, 1 unavailable.');

    const own = card('This service');
    expect(await fact(own, 'Issuer (iss)').textContent()).toBe(base);
    expect(await fact(own, 'Keys').textContent()).toBe('ready');
    const { keys } = (await http.call('GET', '/admin/keys', { token: ADMIN_TOKEN })).body;
    expect(await fact(own, 'kids').locator('code').allTextContents()).toEqual(
      keys.map((k: { kid: string }) => `${k.kid} `),
    );
    expect(await fact(own, 'Back-channel logout').textContent()).toBe('not applicable');

    const ready = card('up');
    expect(await fact(ready, 'Issuer (iss)').textContent()).toBe(upIssuer);
    expect(await fact(ready, 'Profile').textContent()).toBe('keycloak');
    expect(await fact(ready, 'Keys').textContent()).toBe('ready');
    expect(await fact(ready, 'Keys').locator('span').getAttribute('class')).toBe('ok');
    expect(await fact(ready, 'kids').textContent()).toBe('up-key-1 ');
    expect(await fact(ready, 'Last JWKS fetch').locator('time').getAttribute('datetime')).toBe(
      up.keys_fetched_at,
    );
    expect(await fact(ready, 'JWKS').textContent()).toBe(`${op.origin}/jwks`);
    expect(await fact(ready, 'Token lifetime').textContent()).toBe('5 min (300 s)');
    expect(await fact(ready, 'Back-channel logout').textContent()).toBe('on');

    const unavailable = card('down');
    expect(await fact(unavailable, 'Keys').textContent()).toBe(
      `unavailable — ${down.last_error.code}: ${down.last_error.message}`,
    );
    expect(await fact(unavailable, 'Keys').locator('span').getAttribute('class')).toBe('bad');
    expect(await fact(unavailable, 'kids').textContent()).toBe('none');
    expect(await fact(unavailable, 'Last JWKS fetch').textContent()).toBe('never');
    expect(await fact(unavailable, 'Token lifetime').textContent()).toBe('90 min (5400 s)');
    expect(await fact(unavailable, 'Back-channel logout').textContent()).toBe('off');
    // Markup from configuration is text.
    expect(await fact(unavailable, 'Issuer (iss)').textContent()).toBe(downIssuer);
    expect(await fact(unavailable, 'Audience').textContent()).toBe(HOSTILE_AUDIENCE);
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(await page.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
    await screenshot(page, 'console-issuers');
  });

  it("revokes a trusted issuer's subject through the form: the rule is written and its token is inactive", async () => {
    const ada = await upToken({ sub: 'ada' });
    const grace = await upToken({ sub: 'grace' });
    // Control: both tokens are active before, so the inactive answer below is the form's doing.
    expect((await introspect(ada)).active).toBe(true);
    expect((await introspect(grace)).active).toBe(true);

    await page.getByLabel('Your name').fill('alice');
    const form = page.getByRole('form', { name: 'Revoke at up' });
    await form.getByLabel('Revoke by').selectOption('subject');
    await form.getByLabel('Subject (sub)').fill('ada');
    const submit = form.getByRole('button', { name: 'Revoke subject at up' });
    // It asks first; "Cancel" writes nothing.
    const before = (await events()).length;
    const declined = answerNextDialog(page, false);
    await submit.click();
    expect(await declined).toBe(
      'Revoke subject "ada" at up? Every token of that user from this issuer, issued until now, is rejected from now on.',
    );
    expect((await events()).length).toBe(before);
    expect((await introspect(ada)).active).toBe(true);

    const accepted = answerNextDialog(page, true);
    await submit.click();
    await accepted;
    const status = form.getByRole('status');
    await eventually(() => status.textContent()).toMatch(
      /^Revoked subject ada at up: log seq \d+, reason "admin", by admin alice\.$/,
    );
    const written = (await events()).filter((e) => e.rule.kind === 'subject' && e.rule.iss === upIssuer);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ rule: { sub: 'ada' }, reason: 'admin', actor: 'admin:alice' });
    expect((await status.textContent())?.includes(`log seq ${written[0]!.seq},`)).toBe(true);
    expect((await introspect(ada)).active).toBe(false);
    expect((await introspect(grace)).active).toBe(true);
    expect(await form.getByLabel('Subject (sub)').inputValue()).toBe('');
    // The feed names the subject with its issuer, not as a user of this service.
    await eventually(() => page.locator('#feed li').first().textContent()).toContain(
      `subject ada at ${upIssuer}`,
    );
  });

  it('revokes a session of a trusted issuer by its sid', async () => {
    const first = await upToken({ sub: 'linus', sid: 'shop-session-1' });
    const other = await upToken({ sub: 'linus', sid: 'shop-session-2' });
    expect((await introspect(first)).active).toBe(true);
    const form = page.getByRole('form', { name: 'Revoke at up' });
    await form.getByLabel('Revoke by').selectOption('session');
    await form.getByLabel('Session id (sid)').fill('shop-session-1');
    const accepted = answerNextDialog(page, true);
    await form.getByRole('button', { name: 'Revoke session at up' }).click();
    expect(await accepted).toBe(
      'Revoke session "shop-session-1" at up? Every token of that session is rejected from now on.',
    );
    await eventually(() => form.getByRole('status').textContent()).toMatch(
      /^Revoked session shop-session-1 at up: log seq \d+/,
    );
    expect((await events()).at(-1)?.rule).toMatchObject({
      kind: 'session',
      iss: upIssuer,
      sid: 'shop-session-1',
    });
    expect((await introspect(first)).active).toBe(false);
    expect((await introspect(other)).active).toBe(true);
  });

  it("revokes a subject of the service's own issuer, leaving the same sub at another issuer alive", async () => {
    const tokens = await http.registerAndLogin('margaret');
    const sub = (await http.get('/api/me', tokens.access_token)).body.claims.sub as string;
    const namesake = await upToken({ sub });
    expect((await introspect(tokens.access_token)).active).toBe(true);
    expect((await introspect(namesake)).active).toBe(true);
    const form = page.getByRole('form', { name: 'Revoke at this service' });
    await form.getByLabel('Revoke by').selectOption('subject');
    await form.getByLabel('Subject (sub)').fill(sub);
    const accepted = answerNextDialog(page, true);
    await form.getByRole('button', { name: 'Revoke subject at this service' }).click();
    await accepted;
    await eventually(() => form.getByRole('status').textContent()).toMatch(
      /^Revoked subject .* at this service/,
    );
    expect((await events()).at(-1)?.rule).toMatchObject({ kind: 'subject', iss: base, sub });
    expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
    expect((await introspect(namesake)).active).toBe(true);
  });

  it('revokes a pasted access token of a trusted issuer at that issuer, by its jti', async () => {
    const token = await upToken({ sub: 'hedy', jti: 'pasted-jti-1' });
    const sibling = await upToken({ sub: 'hedy' });
    expect((await introspect(token)).active).toBe(true);
    await page.getByLabel('Access token (JWT)').fill(token);
    await page.getByRole('button', { name: 'Revoke this token' }).click();
    await eventually(() => page.textContent('#action-status')).toMatch(/^Revoked the token pasted-jt/);
    expect((await events()).at(-1)?.rule).toMatchObject({
      kind: 'token',
      iss: upIssuer,
      token_id: 'pasted-jti-1',
    });
    expect((await introspect(token)).active).toBe(false);
    expect((await introspect(sibling)).active).toBe(true);
  });

  it("shows the service's refusal with its error code, and writes nothing", async () => {
    const before = (await events()).length;
    const form = page.getByRole('form', { name: 'Revoke at down' });
    await form.getByLabel('Revoke by').selectOption('subject');
    await form.getByLabel('Subject (sub)').fill('x'.repeat(600));
    const accepted = answerNextDialog(page, true);
    await form.getByRole('button', { name: 'Revoke subject at down' }).click();
    await accepted;
    const status = form.getByRole('status');
    await eventually(() => status.textContent()).toMatch(/^ERR_REVOCATION_INVALID: .*512 characters/);
    expect(await status.getAttribute('class')).toContain('bad');
    expect((await events()).length).toBe(before);
    expect(pageErrors).toEqual([]);
  });
});
