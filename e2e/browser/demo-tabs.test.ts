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

const tokenTail = (page: Page) => page.textContent('#token-info').then((t) => /…(\S+) /.exec(t ?? '')?.[1]);

/** Clicks `selector` in every page at the same instant (one shared clock: the browser's). */
async function clickTogether(pages: Page[], selector: string): Promise<void> {
  const at = (await pages[0]!.evaluate(() => Date.now())) + 300;
  await Promise.all(
    pages.map((page) =>
      page.evaluate(
        ([sel, when]) =>
          new Promise<void>((resolve) =>
            setTimeout(
              () => {
                (document.querySelector(sel as string) as HTMLButtonElement).click();
                resolve();
              },
              (when as number) - Date.now(),
            ),
          ),
        [selector, at] as const,
      ),
    ),
  );
}

describeInChromium('the client across two tabs in Chromium', () => {
  let service: RunningService;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let tabA: Page;
  let tabB: Page;
  let http: Http;
  const rotations: string[] = [];

  beforeAll(async () => {
    // No grace window: two rotations racing with one cookie would be a reuse detection, not a sibling.
    ({ service, base } = await startDemoService(['--refresh-grace', '0']));
    http = new Http(base);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
    context.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/auth/refresh')
        rotations.push(request.frame().page()?.url() ?? '?');
    });
    tabA = await context.newPage();
    await tabA.goto(`${base}/demo`);
    await tabA.waitForFunction(() => document.body.dataset['session'] === 'signed-out');
    await tabA.getByLabel('Username').fill('grace');
    await tabA.getByLabel('Password').fill('correct horse battery');
    await tabA.getByRole('button', { name: 'Register & log in' }).click();
    await tabA.waitForSelector('body[data-session="signed-in"]');
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  async function sessionsOfGrace(): Promise<any[]> {
    const users = await http.call('GET', '/admin/users', { token: ADMIN_TOKEN });
    const grace = users.body.users.find((u: { username: string }) => u.username === 'grace');
    const sessions = await http.call('GET', `/admin/users/${grace.id}/sessions`, { token: ADMIN_TOKEN });
    return sessions.body.sessions;
  }

  it('gives a new tab the session of an open tab over BroadcastChannel, without a rotation', async () => {
    rotations.length = 0;
    tabB = await context.newPage();
    await tabB.goto(`${base}/demo`);
    await tabB.waitForSelector('body[data-session="signed-in"]');
    await eventually(() => tokenTail(tabB)).toBeTruthy();
    expect(await tokenTail(tabB)).toBe(await tokenTail(tabA));
    expect(rotations).toEqual([]);
  });

  it('rotates once when both tabs refresh at the same instant, with no reuse detection', async () => {
    const before = await tokenTail(tabA);
    rotations.length = 0;
    await clickTogether([tabA, tabB], '#refresh');
    await eventually(() => tokenTail(tabA)).not.toBe(before);
    await eventually(() => tokenTail(tabB)).toBe(await tokenTail(tabA));
    expect(rotations).toHaveLength(1);

    const audit = await http.call('GET', '/admin/revocations?limit=1000', { token: ADMIN_TOKEN });
    expect(audit.body.events.map((e: { reason: string }) => e.reason)).not.toContain('refresh_reuse');
    const [session, ...others] = await sessionsOfGrace();
    expect(others).toEqual([]);
    expect(session).toMatchObject({ endedAt: null, refreshGeneration: 2 });

    for (const tab of [tabA, tabB]) {
      await tab.getByRole('button', { name: 'Call GET /api/me' }).click();
      await eventually(() => tab.textContent('#api-result')).toMatch(/^200 /);
    }
    await screenshot(tabB, 'tabs-after-one-rotation');
  });

  it('signs the other tab out when one tab logs out', async () => {
    await tabA.getByRole('button', { name: 'Log out', exact: true }).click();
    await tabA.waitForSelector('body[data-session="signed-out"]');
    await tabB.waitForSelector('body[data-session="signed-out"]');
    expect(await tabB.textContent('#session-status')).toBe(
      'Signed out in another tab. Signed out: the session was ended at the service.',
    );
    expect(await tabB.isDisabled('#call-api')).toBe(true);
    expect(await context.cookies()).toEqual([]);
    expect(await sessionsOfGrace()).toEqual([]);
    // A reload finds no session either: the cookie is gone and no tab holds a token.
    await tabB.reload();
    await tabB.waitForSelector('body[data-session="signed-out"]', { timeout: UI_TIMEOUT_MS });
    expect(await tabB.textContent('#session-status')).toBe('Not signed in.');
    await screenshot(tabB, 'tab-b-signed-out');
  });
});
