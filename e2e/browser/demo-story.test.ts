import type { RunningService } from '@revocable/server';
import type { Browser, Page, Route } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Http } from '../../packages/server/test/support/service.js';
import {
  describeInChromium,
  eventually,
  launchChromium,
  screenshot,
  startDemoService,
  UI_TIMEOUT_MS,
} from './support/browser.js';

/** Unique, so a heap snapshot can tell whether the page still holds it (no source file contains it). */
const PASSWORD = 'demo-story pw 7f3a91';

async function signIn(page: Page, username: string): Promise<void> {
  // By keyboard: type into the labelled fields and submit with Enter.
  await page.getByLabel('Username', { exact: true }).fill(username);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Password', { exact: true }).press('Enter');
  await page.waitForSelector('body[data-session="signed-in"]', { timeout: UI_TIMEOUT_MS });
}

/** Whether the page's JavaScript heap still holds `text` after a full garbage collection. */
async function heapHolds(page: Page, text: string): Promise<boolean> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.enable');
  await cdp.send('HeapProfiler.collectGarbage');
  const chunks: string[] = [];
  cdp.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => chunks.push(chunk));
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await cdp.detach();
  return chunks.join('').includes(text);
}

describeInChromium('the stolen-token demo in Chromium', () => {
  let service: RunningService;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    ({ service, base } = await startDemoService());
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('shows a copied token rejected after logout, with the reason and the time, and logout everywhere ending every session', async () => {
    const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(`${base}/demo`);
    await page.waitForSelector('body[data-session="signed-out"]', { timeout: UI_TIMEOUT_MS });
    expect(await page.textContent('#session-status')).toBe('Not signed in.');

    await signIn(page, 'ada');
    expect(await page.textContent('#session-status')).toMatch(/^Signed in as ada — session /);

    await page.getByRole('button', { name: 'Call GET /api/me' }).click();
    await eventually(() => page.textContent('#api-result')).toMatch(/^200 /);
    expect(await page.textContent('#api-result')).toContain('"sid"');

    await page.getByRole('button', { name: 'Copy the token as an attacker would' }).click();
    await eventually(() => page.inputValue('#stolen')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const stolen = await page.inputValue('#stolen');
    // The token is in the page's memory only: not in web storage, not in a cookie script can read.
    const stored = await page.evaluate(() => ({
      cookies: document.cookie,
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
    }));
    for (const place of Object.values(stored)) expect(place).not.toContain(stolen.split('.')[2]);
    const [cookie] = await context.cookies();
    expect(cookie).toMatchObject({
      name: '__Host-revocable-refresh',
      httpOnly: true,
      secure: true,
      sameSite: 'Strict',
    });

    // Before the logout the copy works like the original.
    await page.getByRole('button', { name: 'Replay the copied token from a separate context' }).click();
    await eventually(() => page.textContent('#replay-result')).toMatch(/^Accepted \(200\)/);

    await page.getByRole('button', { name: 'Log out', exact: true }).click();
    await page.waitForSelector('body[data-session="signed-out"]');
    // Step 2 no longer shows the ended session's claims as if they were current.
    expect(await page.textContent('#api-result')).toBe('–');
    expect(await page.textContent('#token-info')).toBe('No access token.');
    await page.getByRole('button', { name: 'Replay the copied token from a separate context' }).click();
    await eventually(() => page.textContent('#replay-result')).toMatch(/^Rejected: 401 ERR_TOKEN_REVOKED/);
    const replay = (await page.textContent('#replay-result')) ?? '';
    expect(replay).toMatch(/WWW-Authenticate: Bearer .*error="invalid_token"/);
    expect(replay).toMatch(/Answered in \d+\.\d ms, \d+\.\d\d s after the logout/);
    expect(replay).toContain('its expiry did not matter');
    await screenshot(page, 'demo-replay-rejected');

    // A truly separate client (this Node process) gets the same answer.
    const http = new Http(base);
    const outside = await http.get('/api/me', stolen);
    expect(outside.status).toBe(401);
    expect(outside.body.error).toBe('ERR_TOKEN_REVOKED');

    // Step 5: sign in again, open three more sessions, end them all from the third.
    await signIn(page, 'ada');
    // The page keeps no password: step 1's field is cleared, and step 5 asks for it again.
    expect(await page.inputValue('#password')).toBe('');
    expect(await page.inputValue('#device-username')).toBe('ada');
    await page.getByLabel('Password for the devices').fill(PASSWORD);
    await page.getByRole('button', { name: 'Open 3 more sessions' }).click();
    await eventually(() => page.locator('#device-rows tr td.ok').count()).toBe(4);
    expect(await page.inputValue('#device-password')).toBe('');
    expect(await heapHolds(page, PASSWORD)).toBe(false);
    await page.getByRole('button', { name: 'Log out everywhere from device 3' }).click();
    await eventually(() => page.textContent('#everywhere-result')).toMatch(
      /ended 4 sessions: all 4 were rejected on their first check, within \d+ ms of its answer/,
    );
    const statuses = await page.locator('#device-rows td').allTextContents();
    expect(statuses).toHaveLength(4);
    for (const status of statuses)
      expect(status).toMatch(/^rejected: ERR_TOKEN_REVOKED — checked \d+ ms after/);
    // The page's own client finds its session ended and signs out.
    await page.waitForSelector('body[data-session="signed-out"]');
    expect(await page.textContent('#session-status')).toContain('the session was ended');
    expect(problems).toEqual([]);
    await screenshot(page, 'demo-story', 'demo.png');
    await context.close();
  });

  it('reports a failed session check (5xx, 429, network) in an alert and still lets the user sign in', async () => {
    const failures: [string, (route: Route) => Promise<void>][] = [
      [
        '503',
        (route) => route.fulfill({ status: 503, json: { error: 'ERR_UNAVAILABLE', message: 'Down.' } }),
      ],
      [
        '429',
        (route) =>
          route.fulfill({
            status: 429,
            headers: { 'retry-after': '30' },
            json: { error: 'ERR_RATE_LIMITED', message: 'Too many requests.' },
          }),
      ],
      ['network', (route) => route.abort('failed')],
    ];
    for (const [name, fail] of failures) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.route('**/auth/refresh', fail);
      await page.goto(`${base}/demo`);
      const alert = page.getByRole('alert').filter({ hasText: 'could not check' });
      await alert.waitFor({ timeout: UI_TIMEOUT_MS });
      expect(await alert.textContent(), name).toMatch(/ERR_REFRESH_FAILED/);
      expect(await page.textContent('#session-status'), name).not.toBe('Starting…');
      expect(await page.isEnabled('#login'), name).toBe(true);

      await signIn(page, `restore-${name}`);
      expect(await page.isHidden('#session-problem'), name).toBe(true);
      await context.close();
    }
  });

  it('answers the compiled client as an ES module under the strict CSP', async () => {
    const response = await fetch(`${base}/assets/client/index.js`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await response.text()).toContain("from './client.js'");
    const page = await fetch(`${base}/demo`);
    expect(page.headers.get('content-security-policy')).toBe(
      "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'",
    );
    expect((await fetch(`${base}/assets/client/..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${base}/assets/client/client.d.ts`)).status).toBe(404);
  });
});
