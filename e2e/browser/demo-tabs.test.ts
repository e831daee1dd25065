import type { RunningService } from '@revocable/server';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

type Api = 'locks' | 'BroadcastChannel';

/** Runs in every page before its scripts: the browser as one that lacks these APIs. */
function removeApis(missing: Api[]): void {
  if (missing.includes('locks')) delete (Navigator.prototype as { locks?: unknown }).locks;
  if (missing.includes('BroadcastChannel'))
    delete (globalThis as { BroadcastChannel?: unknown }).BroadcastChannel;
}

/**
 * The same two-tab story in a browser with both APIs and in browsers without them, where the client
 * falls back to a localStorage lease (no Web Locks) and to `storage` events (no BroadcastChannel).
 */
const VARIANTS: { name: string; missing: Api[] }[] = [
  { name: 'with Web Locks and BroadcastChannel', missing: [] },
  { name: 'without Web Locks (localStorage lease)', missing: ['locks'] },
  { name: 'without BroadcastChannel (storage events)', missing: ['BroadcastChannel'] },
  { name: 'without Web Locks and BroadcastChannel', missing: ['locks', 'BroadcastChannel'] },
];

describeInChromium('the client across two tabs in Chromium', () => {
  let service: RunningService;
  let base: string;
  let browser: Browser;
  let http: Http;

  beforeAll(async () => {
    // No grace window: two rotations racing with one cookie would be a reuse detection, not a sibling.
    ({ service, base } = await startDemoService(['--refresh-grace', '0']));
    http = new Http(base);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  async function sessionsOf(username: string): Promise<any[]> {
    const users = await http.call('GET', '/admin/users', { token: ADMIN_TOKEN });
    const user = users.body.users.find((u: { username: string }) => u.username === username);
    const sessions = await http.call('GET', `/admin/users/${user.id}/sessions`, { token: ADMIN_TOKEN });
    return sessions.body.sessions;
  }

  VARIANTS.forEach(({ name, missing }, index) => {
    describe(name, () => {
      const username = `grace-${index}`;
      const shares = !missing.includes('BroadcastChannel');
      const slug = missing.length === 0 ? '' : `-without-${missing.join('-')}`;
      let context: BrowserContext;
      let tabA: Page;
      let tabB: Page;
      /** Successful rotations (POST /auth/refresh answered 200), per test and since the login. */
      const rotations: string[] = [];
      let rotated = 0;

      beforeAll(async () => {
        context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
        if (missing.length > 0) await context.addInitScript(removeApis, missing);
        context.on('response', (response) => {
          const request = response.request();
          if (
            request.method() === 'POST' &&
            new URL(request.url()).pathname === '/auth/refresh' &&
            response.status() === 200
          ) {
            rotations.push(request.frame().page()?.url() ?? '?');
            rotated++;
          }
        });
        tabA = await context.newPage();
        await tabA.goto(`${base}/demo`);
        await tabA.waitForSelector('body[data-session="signed-out"]', { timeout: UI_TIMEOUT_MS });
        expect(
          await tabA.evaluate(() => ({
            locks: typeof (navigator as { locks?: unknown }).locks,
            channel: typeof (globalThis as { BroadcastChannel?: unknown }).BroadcastChannel,
          })),
        ).toEqual({
          locks: missing.includes('locks') ? 'undefined' : 'object',
          channel: shares ? 'function' : 'undefined',
        });
        await tabA.getByLabel('Username', { exact: true }).fill(username);
        await tabA.getByLabel('Password', { exact: true }).fill('correct horse battery');
        await tabA.getByRole('button', { name: 'Register & log in' }).click();
        await tabA.waitForSelector('body[data-session="signed-in"]', { timeout: UI_TIMEOUT_MS });
        rotated = 0;
      });

      afterAll(async () => {
        await context?.close();
      });

      it(
        shares
          ? 'gives a new tab the session of an open tab over BroadcastChannel, without a rotation'
          : 'lets a new tab refresh for itself (tokens never pass through storage)',
        async () => {
          rotations.length = 0;
          tabB = await context.newPage();
          await tabB.goto(`${base}/demo`);
          await tabB.waitForSelector('body[data-session="signed-in"]', { timeout: UI_TIMEOUT_MS });
          await eventually(() => tokenTail(tabB)).toBeTruthy();
          if (shares) {
            expect(await tokenTail(tabB)).toBe(await tokenTail(tabA));
            expect(rotations).toEqual([]);
          } else {
            expect(await tokenTail(tabB)).not.toBe(await tokenTail(tabA));
            expect(rotations).toHaveLength(1);
          }
          // localStorage holds no token, whatever the fallback.
          const stored = await tabB.evaluate(() => JSON.stringify({ ...localStorage }));
          for (const tab of [tabA, tabB]) expect(stored).not.toContain(await tokenTail(tab));
        },
      );

      it(
        shares
          ? 'rotates once when both tabs refresh at the same instant, with no reuse detection'
          : 'rotates once per tab, one after the other, when both refresh at the same instant: no reuse detection',
        async () => {
          const before = await tokenTail(tabA);
          rotations.length = 0;
          await clickTogether([tabA, tabB], '#refresh');
          await eventually(() => tokenTail(tabA)).not.toBe(before);
          if (shares) {
            await eventually(() => tokenTail(tabB)).toBe(await tokenTail(tabA));
            expect(rotations).toHaveLength(1);
          } else {
            await eventually(() => rotations.length).toBe(2);
          }

          const audit = await http.call('GET', '/admin/revocations?limit=1000', { token: ADMIN_TOKEN });
          expect(audit.body.events.map((e: { reason: string }) => e.reason)).not.toContain('refresh_reuse');
          const [session, ...others] = await sessionsOf(username);
          expect(others).toEqual([]);
          expect(session).toMatchObject({ refresh_generation: 1 + rotated }); // a live session

          for (const tab of [tabA, tabB]) {
            await tab.getByRole('button', { name: 'Call GET /api/me' }).click();
            await eventually(() => tab.textContent('#api-result')).toMatch(/^200 /);
          }
          await screenshot(tabB, `tabs-after-refresh${slug}`);
        },
      );

      it('signs the other tab out when one tab logs out', async () => {
        await tabA.getByRole('button', { name: 'Log out', exact: true }).click();
        await tabA.waitForSelector('body[data-session="signed-out"]', { timeout: UI_TIMEOUT_MS });
        await tabB.waitForSelector('body[data-session="signed-out"]', { timeout: UI_TIMEOUT_MS });
        expect(await tabB.textContent('#session-status')).toBe(
          'Signed out in another tab. Signed out: the session was ended at the service.',
        );
        expect(await tabB.isDisabled('#call-api')).toBe(true);
        expect(await context.cookies()).toEqual([]);
        expect(await sessionsOf(username)).toEqual([]);
        // A reload finds no session either: the cookie is gone and no tab holds a token.
        await tabB.reload();
        await tabB.waitForSelector('body[data-session="signed-out"]', { timeout: UI_TIMEOUT_MS });
        expect(await tabB.textContent('#session-status')).toBe('Not signed in.');
        await screenshot(tabB, `tab-b-signed-out${slug}`);
      });
    });
  });
});
