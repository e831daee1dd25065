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
  UI_TIMEOUT_MS,
} from './support/browser.js';

/** The signing keys as the console lists them: full kid (its tooltip) and state, in table order. */
async function keyRows(page: Page): Promise<{ kid: string | null; state: string }[]> {
  return page.locator('#keys tbody tr').evaluateAll((rows) =>
    rows.map((row) => ({
      kid: row.querySelector('code')?.getAttribute('title') ?? null,
      state: (row as HTMLTableRowElement).cells[2]?.textContent ?? '',
    })),
  );
}

/** Accepts the next confirm() the page opens, and returns its message. */
function acceptNextDialog(page: Page): Promise<string> {
  return new Promise((resolve) => {
    page.once('dialog', (dialog) => {
      resolve(dialog.message());
      void dialog.accept();
    });
  });
}

/** Dismisses the next confirm() the page opens ("Cancel"), and returns its message. */
function dismissNextDialog(page: Page): Promise<string> {
  return new Promise((resolve) => {
    page.once('dialog', (dialog) => {
      resolve(dialog.message());
      void dialog.dismiss();
    });
  });
}

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
    await demo.getByLabel('Username', { exact: true }).fill('linus');
    await demo.getByLabel('Password', { exact: true }).fill('correct horse battery');
    await demo.getByLabel('Password', { exact: true }).press('Enter');
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
    // "Last seen" shows the session's last activity, as the admin API reports it.
    const headers = await console_.locator('#sessions thead th').allTextContents();
    const lastSeen = sessionRows.first().locator('td').nth(headers.indexOf('Last seen'));
    const users = await http.call('GET', '/admin/users', { token: ADMIN_TOKEN });
    const linus = users.body.users.find((u: { username: string }) => u.username === 'linus');
    const [session] = (await http.call('GET', `/admin/users/${linus.id}/sessions`, { token: ADMIN_TOKEN }))
      .body.sessions;
    expect(await lastSeen.locator('time').getAttribute('datetime')).toBe(session.last_seen_at);
    expect(((await lastSeen.textContent()) ?? '').trim()).toMatch(/\d/);
    // The table is not a live region (a re-render would read it all out); a short summary is announced.
    expect(await console_.getAttribute('#sessions', 'aria-live')).toBeNull();
    expect(await console_.textContent('#sessions-status')).toBe('linus has 1 live session.');
    expect(await console_.getAttribute('#sessions-status', 'role')).toBe('status');
    expect(await console_.evaluate(() => document.activeElement?.id)).toBe('sessions-heading');

    // The demo works before the revocation.
    await demo.getByRole('button', { name: 'Call GET /api/me' }).click();
    await eventually(() => demo.textContent('#api-result')).toMatch(/^200 /);

    // It asks first, like every destructive action: "Cancel" leaves the session alive.
    const revokeSession = console_.getByRole('button', { name: /^Revoke session / });
    const declined = dismissNextDialog(console_);
    await revokeSession.click();
    expect(await declined).toMatch(
      /^Revoke session \S+ of linus\? Its tokens are rejected from now on and it cannot be refreshed\.$/,
    );
    expect(revocationsSent).toEqual([]);
    expect(await sessionRows.count()).toBe(1);
    await demo.getByRole('button', { name: 'Call GET /api/me' }).click();
    await eventually(() => demo.textContent('#api-result')).toMatch(/^200 /);
    const asked = acceptNextDialog(console_);
    await revokeSession.click();
    await asked;
    await eventually(() => console_.textContent('#action-status')).toMatch(
      /^Revoked session .*: log seq \d+, reason "admin", by admin alice\.$/,
    );
    await eventually(() => console_.locator('#feed li').first().textContent()).toMatch(
      /^#\d+ session session .* — admin, by admin alice/,
    );
    await eventually(() => console_.locator('#audit tbody tr').first().textContent()).toContain(
      'admin alice',
    );
    await eventually(() => sessionRows.count()).toBe(0);
    expect(await console_.textContent('#sessions-status')).toBe('linus has no live session.');
    // The propagation chart has a bar for the revocation, with a text alternative; it measures log → console.
    expect(await console_.textContent('#c-propagation')).toBe('Propagation: log → this console');
    expect(await console_.textContent('#propagation-chart title')).toMatch(
      /^From the revocation log to this console/,
    );
    await eventually(() => console_.locator('#propagation-chart rect').count()).toBe(1);
    expect(await console_.textContent('#propagation-summary')).toMatch(/last \d+ ms, median \d+ ms/);
    expect(await console_.locator('#lag-chart polyline').count()).toBe(1);
    expect(await console_.textContent('#lag-summary')).toMatch(
      /not yet applied by this process's replica: 0/,
    );
    // The chart's scale is in words a person would write: "1 event", not "1 events".
    expect(await console_.textContent('#lag-chart .scale')).toBe('1 event');

    // The demo's token is rejected, and that one call is enough for the tab to find its session ended
    // and say so: it does not go on saying "Signed in" while its calls get 401.
    expect(await demo.textContent('#session-status')).toMatch(/^Signed in as linus/);
    await demo.getByRole('button', { name: 'Call GET /api/me' }).click();
    await eventually(() => demo.textContent('#session-status')).toBe(
      'Signed out: the session was ended (revoked, reused or expired).',
    );
    expect(await demo.getAttribute('body', 'data-session')).toBe('signed-out');
    const answer = (await demo.textContent('#api-result')) ?? '';
    expect(answer).toMatch(/^401 .*"error": "ERR_TOKEN_REVOKED"/s);
    expect(answer).toMatch(/The session was ended: this tab is signed out\.$/);
    expect(await demo.isDisabled('#call-api')).toBe(true);
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
    // Its accessible name starts with its visible text (WCAG 2.5.3), and it asks first.
    const everywhere = console_.getByRole('button', { name: 'Log out everywhere: margaret' });
    expect(await everywhere.textContent()).toBe('Log out everywhere');
    console_.once('dialog', (dialog) => void dialog.dismiss());
    await everywhere.click();
    expect((await http.get('/api/me', again.access_token)).status).toBe(200);
    const asked = acceptNextDialog(console_);
    await everywhere.click();
    expect(await asked).toBe('Log margaret out everywhere? Every session and token of margaret ends now.');
    await eventually(() => console_.textContent('#action-status')).toMatch(
      /^Revoked every token of margaret/,
    );
    expect((await http.get('/api/me', again.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
    await eventually(() => console_.locator('#feed li').first().textContent()).toMatch(
      /subject user margaret/,
    );

    const signedByOldKey = await http.login('margaret');
    const oldKid = (await http.get('/api/me', signedByOldKey.access_token)).body.kid;
    const revokeKey = console_.getByRole('button', { name: /^Revoke key .* \(rotates first\)$/ });
    console_.once('dialog', (dialog) => void dialog.dismiss());
    await revokeKey.click();
    expect((await http.get('/api/me', signedByOldKey.access_token)).status).toBe(200);
    const confirmed = acceptNextDialog(console_);
    await revokeKey.click();
    expect(await confirmed).toMatch(/^Revoke key .*\? Every token it signed is rejected from now on\.$/);
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

    // For the README image: linus signs in again in the demo, and the console shows that live session.
    await demo.getByLabel('Username', { exact: true }).fill('linus');
    await demo.getByLabel('Password', { exact: true }).fill('correct horse battery');
    await demo.getByLabel('Password', { exact: true }).press('Enter');
    await demo.waitForSelector('body[data-session="signed-in"]', { timeout: UI_TIMEOUT_MS });
    await console_.getByRole('button', { name: 'Sessions of linus' }).click();
    await eventually(() => console_.locator('#sessions tbody tr').count()).toBe(1);
    await screenshot(console_, 'console', 'console.png');
  });

  it('rotates keys: the next key signs, the active one retires', async () => {
    const before = await keyRows(console_);
    const active = before.find((k) => k.state === 'active')!;
    const next = before.find((k) => k.state === 'next')!;
    await console_.getByRole('button', { name: 'Rotate keys' }).click();
    await eventually(() => console_.textContent('#action-status')).toMatch(/^Keys rotated: .* signs now\.$/);
    await eventually(() =>
      keyRows(console_).then((rows) => rows.find((k) => k.state === 'active')?.kid),
    ).toBe(next.kid);
    const after = await keyRows(console_);
    expect(after.find((k) => k.kid === active.kid)?.state).toBe('retired');
    const fresh = after.find((k) => k.state === 'next');
    expect(fresh?.kid).toBeTruthy();
    expect(before.map((k) => k.kid)).not.toContain(fresh?.kid);
    // New tokens are signed by the new active key.
    const tokens = await http.login('margaret');
    expect((await http.get('/api/me', tokens.access_token)).body.kid).toBe(next.kid);
  });

  it('suspends a user (every token dies, no login) and reinstates them', async () => {
    const tokens = await http.registerAndLogin('grace');
    await console_.getByRole('button', { name: 'Reload' }).click();
    const row = console_.locator('#users tbody tr', { hasText: 'grace' });
    // It asks first, like every destructive action: "Cancel" suspends nobody.
    const suspend = console_.getByRole('button', { name: 'Suspend grace' });
    const declined = dismissNextDialog(console_);
    await suspend.click();
    expect(await declined).toBe(
      'Suspend grace? Every session and token of grace ends now, and grace cannot log in until reinstated.',
    );
    expect((await http.get('/api/me', tokens.access_token)).status).toBe(200);
    expect(await row.locator('td').nth(2).textContent()).toBe('no');
    const asked = acceptNextDialog(console_);
    await suspend.click();
    await asked;
    await eventually(() => console_.textContent('#action-status')).toBe(
      'grace is suspended: every token revoked.',
    );
    await eventually(() => row.locator('td').nth(2).textContent()).toBe('yes');
    expect((await http.get('/api/me', tokens.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
    expect(
      (await http.post('/auth/login', { username: 'grace', password: 'correct horse battery' })).status,
    ).not.toBe(200);

    await console_.getByRole('button', { name: 'Reinstate grace' }).click();
    await eventually(() => console_.textContent('#action-status')).toBe('grace is reinstated.');
    await eventually(() => row.locator('td').nth(2).textContent()).toBe('no');
    const again = await http.login('grace');
    expect((await http.get('/api/me', again.access_token)).status).toBe(200);
  });

  it("names the user in the audit trail's Who, even one registered after the console opened", async () => {
    // hedy registers after the console loaded its users, and logs out: the log's actor is `user:<sub>`.
    const tokens = await http.registerAndLogin('hedy');
    const sub = (await http.get('/api/me', tokens.access_token)).body.claims.sub as string;
    expect((await http.post('/auth/logout', undefined, tokens.access_token)).status).toBe(204);
    const row = console_.locator('#audit tbody tr', { hasText: 'logout' }).first();
    const headers = await console_.locator('#audit thead th').allTextContents();
    const who = row.locator('td').nth(headers.indexOf('Who'));
    await eventually(() => who.textContent()).toBe('user hedy');
    // The raw actor stays at hand as a tooltip, and the feed says the same.
    expect(await who.locator('span').getAttribute('title')).toBe(`user:${sub}`);
    await eventually(() => console_.locator('#feed li', { hasText: 'logout' }).first().textContent()).toMatch(
      /— logout, by user hedy/,
    );
    // An admin's own name is shown as an admin's, never confused with a user of that name.
    const admin = console_.locator('#audit tbody tr', { hasText: 'suspension' }).first();
    expect(await admin.locator('td').nth(headers.indexOf('Who')).textContent()).toBe('admin alice');
  });

  it('shows a hostile username and User-Agent as text, never as markup', async () => {
    // No spaces (a new username may not hold any): as markup this is still an img whose onerror runs.
    const name = '<img/src/onerror=window.__xss=1>';
    const agent = 'Mozilla/5.0 (<img src=x onerror=window.__xss=2>) <script>window.__xss=3</script>/1.0';
    const hostile = await browser.newContext({ userAgent: agent });
    const page = await hostile.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`${base}/demo`);
    await page.waitForSelector('body[data-session="signed-out"]', { timeout: UI_TIMEOUT_MS });
    await page.getByLabel('Username', { exact: true }).fill(name);
    await page.getByLabel('Password', { exact: true }).fill('correct horse battery');
    await page.getByLabel('Password', { exact: true }).press('Enter');
    await page.waitForSelector('body[data-session="signed-in"]', { timeout: UI_TIMEOUT_MS });
    expect(await page.textContent('#session-status')).toContain(`Signed in as ${name} — session`);

    await console_.getByRole('button', { name: 'Reload' }).click();
    const cell = console_.locator('#users tbody td', { hasText: name });
    await eventually(() => cell.count()).toBe(1);
    expect(await cell.textContent()).toBe(name);
    await console_.getByRole('button', { name: `Sessions of ${name}` }).click();
    await eventually(() => console_.textContent('#sessions-heading')).toBe(`Live sessions of ${name}`);
    const device = console_.locator('#sessions tbody tr td').nth(1);
    expect(await device.textContent()).toContain('<img src=x onerror=window.__xss=2>');
    expect(await device.locator('span').getAttribute('title')).toBe(agent);
    // Through the feed and the audit trail too.
    const asked = acceptNextDialog(console_);
    await console_.getByRole('button', { name: `Log out everywhere: ${name}` }).click();
    await asked;
    await eventually(() => console_.locator('#feed li').first().textContent()).toContain(`user ${name}`);
    await eventually(() => console_.locator('#audit tbody tr').first().textContent()).toContain(name);

    for (const p of [console_, page]) {
      expect(await p.evaluate(() => (window as { __xss?: unknown }).__xss)).toBeUndefined();
      expect(await p.locator('main img, main script').count()).toBe(0);
    }
    expect(pageErrors).toEqual([]);
    await hostile.close();
  });
});
