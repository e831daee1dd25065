// The original question, walked in Chromium: a SPA signs in at an Entra ID-shaped provider, calls its
// API, signs out through the Revocable service, and the access token copied before the sign-out is
// refused by the API (which follows the service's feed) while the provider's own session ends too.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeInChromium,
  eventually,
  launchChromium,
  UI_TIMEOUT_MS,
} from '../../e2e/browser/support/browser.js';
import { type Example, startExample } from './run.js';

/** The API's answer to `token`, as any HTTP client holding a copy would get it. */
async function orders(example: Example, token: string) {
  const response = await fetch(`${example.api.url}/api/orders`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function signIn(page: Page, example: Example, user: string): Promise<void> {
  await page.goto(`${example.spa.url}/`);
  await page.waitForSelector('body[data-session="signed-out"]', { timeout: UI_TIMEOUT_MS });
  await page.getByLabel('User').fill(user);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('body[data-session="signed-in"]', { timeout: UI_TIMEOUT_MS });
}

describeInChromium('the SPA + service + API example in Chromium (the Azure AD question)', () => {
  let example: Example;
  let browser: Browser;

  beforeAll(async () => {
    example = await startExample();
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await example?.close();
  });

  it('signs in, calls the API, signs out through the service, and the copied token is refused', async () => {
    const page = await (await browser.newContext()).newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(err.message));

    await signIn(page, example, 'alice');
    expect(await page.textContent('#session-status')).toBe('Signed in as alice.');
    await page.getByRole('button', { name: 'Call the API' }).click();
    await eventually(() => page.textContent('#api-result')).toMatch(/^200 /);
    expect(await page.textContent('#api-result')).toContain('"user":"alice@contoso.example"');

    // What an XSS or a leaked log would take: the token in sessionStorage (MSAL's default cache).
    const copy = await page.evaluate(() => sessionStorage.getItem('spa.accessToken'));
    expect(copy).toBeTruthy();
    expect((await orders(example, copy!)).status).toBe(200);

    await page.getByRole('button', { name: 'Sign out' }).click();
    // The provider's own sign-out page (Entra asks which account; the stand-in asks to confirm).
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForSelector('body[data-session="signed-out"]', { timeout: UI_TIMEOUT_MS });
    expect(await page.textContent('#last-logout')).toContain('the service revoked the token (204)');
    expect(await page.evaluate(() => sessionStorage.getItem('spa.accessToken'))).toBeNull();

    await eventually(async () => (await orders(example, copy!)).status).toBe(401);
    expect((await orders(example, copy!)).body).toMatchObject({ error: 'ERR_TOKEN_REVOKED' });
    expect(problems).toEqual([]);
  });

  it("leaves another user's token alone, and a new sign-in works", async () => {
    const bob = await example.provider.login('bob');
    const page = await (await browser.newContext()).newPage();
    await signIn(page, example, 'carol');
    const carol = await page.evaluate(() => sessionStorage.getItem('spa.accessToken'));
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForSelector('body[data-session="signed-out"]', { timeout: UI_TIMEOUT_MS });
    await eventually(async () => (await orders(example, carol!)).status).toBe(401);
    expect((await orders(example, bob.accessToken)).status).toBe(200);

    await signIn(page, example, 'carol');
    await page.getByRole('button', { name: 'Call the API' }).click();
    await eventually(() => page.textContent('#api-result')).toMatch(/^200 /);
  });
});
