import { loadConfig, type RunningService, serve } from '@revocable/server';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../../packages/server/test/support/service.js';
import { describeInChromium, ensureClientBuilt, eventually, launchChromium } from './support/browser.js';

describeInChromium('the admin console of a service without an admin token, in Chromium', () => {
  let service: RunningService;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    await ensureClientBuilt();
    const port = await freePort();
    // No --admin-token and no REVOCABLE_ADMIN_TOKEN: the admin API is disabled.
    const config = loadConfig(
      [
        '--port',
        String(port),
        '--issuer',
        `http://localhost:${port}`,
        '--database',
        'memory',
        '--log-level',
        'silent',
      ],
      {},
    );
    service = await serve(config, { logger: false });
    base = service.runtime.config.issuer;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.close();
  });

  it('says the admin API is disabled and how to enable it', async () => {
    // The control: this service really has no admin token, so the message below is about that.
    expect(service.runtime.config.adminToken).toBeUndefined();
    const page = await browser.newPage();
    await page.goto(`${base}/console`);
    await page.getByLabel('Admin token').fill('x'.repeat(40));
    await page.getByLabel('Admin token').press('Enter');
    await eventually(() => page.textContent('#admin-status')).toBe(
      'The admin API of this service is disabled. To enable it, start the service with ' +
        'REVOCABLE_ADMIN_TOKEN set (npm start on this machine writes one next to the database and prints where).',
    );
    expect(await page.getAttribute('#admin-status', 'class')).toBe('bad');
    expect(await page.isHidden('#console-body')).toBe(true);
    expect(await page.inputValue('#admin-token')).toBe('');
    await page.close();
  });
});
