import type { RunningService } from '@revocable/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ADMIN_TOKEN, Http } from '../../packages/server/test/support/service.js';
import {
  describeInChromium,
  eventually,
  launchChromium,
  screenshot,
  startDemoService,
} from './support/browser.js';

describeInChromium('the admin console in Chromium', () => {
  let service: RunningService;
  let base: string;
  let http: Http;
  let browser: Browser;
  let userContext: BrowserContext;
  let adminContext: BrowserContext;
  let demo: Page;
  let console_: Page;
  const pageErrors: string[] = [];
  /** The bodies the console sent to POST /admin/revocations, in order. */
  const revocationsSent: { rule: Record<string, unknown>; reason?: string; actor?: string }[] = [];

  beforeAll(async () => {
    ({ service, base } = await startDemoService());
    http = new Http(base);
    browser = await launchChromium();
    // The user and the admin are different people: separate browser contexts (no shared cookie or channel).
    userContext = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    adminContext = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    demo = await userContext.newPage();
    console_ = await adminContext.newPage();
    for (const page of [demo, console_]) page.on('pageerror', (err) => pageErrors.push(err.message));
    console_.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/admin/revocations')
        revocationsSent.push(request.postDataJSON());
    });
    await demo.goto(`${base}/demo`);
    await demo.waitForFunction(() => document.body.dataset['session'] === 'signed-out');
    await demo.getByLabel('Username').fill('linus');
    await demo.getByLabel('Password').fill('correct horse battery');
    await demo.getByLabel('Password').press('Enter');
    await demo.waitForSelector('body[data-session="signed-in"]');
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('refuses a wrong admin credential and forgets it', async () => {
    await console_.goto(`${base}/console`);
    await console_.getByLabel('Admin token').fill('x'.repeat(40));
    await console_.getByLabel('Admin token').press('Enter');
    await eventually(() => console_.textContent('#admin-status')).toBe(
      'ERR_ADMIN_AUTH_REQUIRED: The admin credential is missing or wrong.',
    );
    expect(await console_.isHidden('#console-body')).toBe(true);
  });

  it('revokes a session from the console and the demo token dies, with the audit trail and the live feed', async () => {
    await console_.getByLabel('Admin token').fill(ADMIN_TOKEN);
    await console_.getByLabel('Admin token').press('Enter');
    await console_.waitForSelector('#console-body:not([hidden])');
    await eventually(() => console_.textContent('#feed-status')).toBe('Feed: connected');
    // Focus moved to the users heading; the admin token is not left in the field.
    expect(await console_.evaluate(() => document.activeElement?.id)).toBe('c-users');
    expect(await console_.inputValue('#admin-token')).toBe('');

    await console_.getByLabel('Your name').fill('alice');
    await console_.getByRole('button', { name: 'Sessions of linus' }).click();
    const sessionRows = console_.locator('#sessions tbody tr');
    await eventually(() => sessionRows.count()).toBe(1);
    const row = (await sessionRows.first().textContent()) ?? '';
    expect(row).toContain('HeadlessChrome');
    expect(row).toContain('127.0.0.1');
    expect(await console_.evaluate(() => document.activeElement?.id)).toBe('sessions-heading');

    // The demo works before the revocation.
    await demo.getByRole('button', { name: 'Call GET /api/me' }).click();
    await eventually(() => demo.textContent('#api-result')).toMatch(/^200 /);

    await console_.getByRole('button', { name: /^Revoke session / }).click();
    await eventually(() => console_.textContent('#action-status')).toMatch(
      /^Revoked session .*: log seq \d+, reason "admin", by admin:alice\.$/,
    );
    await eventually(() => console_.locator('#feed li').first().textContent()).toMatch(
      /^#\d+ session session .* — admin, by admin:alice/,
    );
    await eventually(() => console_.locator('#audit tbody tr').first().textContent()).toContain(
      'admin:alice',
    );
    await eventually(() => sessionRows.count()).toBe(0);
    // The propagation chart has a bar for the revocation, with a text alternative.
    await eventually(() => console_.locator('#propagation-chart rect').count()).toBe(1);
    expect(await console_.textContent('#propagation-summary')).toMatch(/last \d+ ms, median \d+ ms/);
    expect(await console_.locator('#lag-chart polyline').count()).toBe(1);
    expect(await console_.textContent('#lag-summary')).toMatch(
      /not yet applied by this process's replica: 0/,
    );

    // The demo's token is rejected; its client then finds the session ended and signs out.
    await demo.getByRole('button', { name: 'Call GET /api/me' }).click();
    await eventually(() => demo.textContent('#api-result')).toMatch(/^401 .*"error": "ERR_TOKEN_REVOKED"/s);
    await demo.getByRole('button', { name: 'Call GET /api/me' }).click();
    await demo.waitForSelector('body[data-session="signed-out"]');
    expect(await demo.textContent('#session-status')).toContain('the session was ended');
  });

  it('revokes a pasted access token, a user everywhere, and a key (rotating first)', async () => {
    const tokens = await http.registerAndLogin('margaret');
    await console_.getByRole('button', { name: 'Reload' }).click();
    await console_.getByLabel('Access token (JWT)').fill(tokens.access_token);
    await console_.getByRole('button', { name: 'Revoke this token' }).click();
    await eventually(() => console_.textContent('#action-status')).toMatch(
      /^Revoked the token .* of margaret/,
    );
    expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');

    const again = await http.login('margaret');
    await console_.getByRole('button', { name: 'Log margaret out everywhere' }).click();
    await eventually(() => console_.textContent('#action-status')).toMatch(
      /^Revoked every token of margaret/,
    );
    expect((await http.get('/api/me', again.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
    await eventually(() => console_.locator('#feed li').first().textContent()).toMatch(
      /subject user margaret/,
    );

    const signedByOldKey = await http.login('margaret');
    const oldKid = (await http.get('/api/me', signedByOldKey.access_token)).body.kid;
    await console_.getByRole('button', { name: /^Revoke key .* \(rotates first\)$/ }).click();
    await eventually(() => console_.textContent('#action-status')).toMatch(/^Revoked key /);
    expect((await http.get('/api/me', signedByOldKey.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
    const fresh = await http.login('margaret');
    const me = await http.get('/api/me', fresh.access_token);
    expect(me.status).toBe(200);
    expect(me.body.kid).not.toBe(oldKid);
    const retired = console_.locator('#keys tbody tr', { hasText: 'retired' });
    await eventually(() => retired.textContent()).toContain('retired, revoked');
    expect(await retired.getByRole('button').count()).toBe(0);
    await eventually(() => console_.locator('#propagation-chart rect').count()).toBe(4);
    // The replica figures catch up with the log (one sample a second).
    await eventually(() => console_.textContent('#lag-summary')).toMatch(/: 0 \(log seq 4, replica seq 4\)/);
    expect(await console_.textContent('#staleness-summary')).toMatch(
      /^Last heard from its feed \d+ ms ago; 4 live rules/,
    );
    expect(pageErrors).toEqual([]);
    await screenshot(console_, 'console', 'console.png');
  });
});
