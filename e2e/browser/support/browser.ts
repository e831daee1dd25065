import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningService } from '@revocable/server';
import { type Browser, chromium, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startService } from '../../../packages/server/test/support/service.js';

/** Debian's Chromium (`apt-get install -y chromium`); test tools cannot download browsers here. */
export const CHROMIUM = '/usr/bin/chromium';
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SCREENSHOTS = join(ROOT, 'artifacts', 'screenshots');
/** Screenshots the README shows (committed: kept small; rewritten only with `UPDATE_README_IMAGES=1`). */
export const README_IMAGES = join(ROOT, 'docs', 'images');

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * How long a page may take to reach an expected state. Generous: a cold run (first Chromium start,
 * first module compile) is much slower than a warm one, and waiting longer costs nothing when it passes.
 */
export const UI_TIMEOUT_MS = 15_000;

/**
 * `expect.poll` with {@link UI_TIMEOUT_MS} rather than vitest's default of one second.
 *
 * @example
 * ```ts
 * await eventually(() => page.textContent('#api-result')).toMatch(/^200 /);
 * ```
 */
export function eventually<T>(read: () => T | Promise<T>) {
  return expect.poll(read, { timeout: UI_TIMEOUT_MS, interval: 50 });
}

/**
 * A `describe` for browser suites: skipped with a plain message when Chromium is missing, except in CI
 * (`CI=true`), where a missing browser is a failure.
 */
export function describeInChromium(name: string, suite: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, suite);
    return;
  }
  if (process.env['CI'] === 'true') {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`${CHROMIUM} is missing: install it with apt-get install -y chromium.`);
      });
    });
    return;
  }
  console.warn(`Skipping "${name}": ${CHROMIUM} is missing (apt-get install -y chromium).`);
  describe.skip(name, suite);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}

/**
 * Compiles `@revocable/client` (the pages load its `dist` as ES modules); `tsc -b` is incremental, so
 * this is quick when nothing changed. Suites run in parallel processes: a lock directory keeps two of
 * them from writing the same files at once.
 */
export async function ensureClientBuilt(): Promise<void> {
  mkdirSync(join(ROOT, 'artifacts'), { recursive: true });
  const lock = join(ROOT, 'artifacts', '.client-build-lock');
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (waited > 60_000) throw new Error(`${lock} is held for over a minute: remove it if no build runs.`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  try {
    execFileSync(
      process.execPath,
      [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/client'],
      {
        cwd: ROOT,
        stdio: 'inherit',
      },
    );
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The service on `memory` storage, and the origin the browser must use (its issuer: `http://localhost:PORT`). */
export async function startDemoService(
  extra: string[] = [],
): Promise<{ service: RunningService; base: string }> {
  await ensureClientBuilt();
  const service = await startService('memory', extra);
  return { service, base: service.runtime.config.issuer };
}

/**
 * Where a screenshot for the README goes: `docs/images/NAME` (committed) only when regenerating the
 * README images is asked for with `UPDATE_README_IMAGES=1`; otherwise nowhere (a missing image is
 * not a reason to write into the repository).
 *
 * @example
 * ```ts
 * readmeImageTarget('console.png', { UPDATE_README_IMAGES: '1' }); // …/docs/images/console.png
 * readmeImageTarget('console.png', {}); // null
 * ```
 */
export function readmeImageTarget(
  readme: string | undefined,
  env: Record<string, string | undefined> = process.env,
): string | null {
  return readme !== undefined && env['UPDATE_README_IMAGES'] === '1' ? join(README_IMAGES, readme) : null;
}

/**
 * Saves a screenshot to `artifacts/screenshots/NAME.png` (git-ignored, kept as a test artifact). With
 * `readme`, and only with `UPDATE_README_IMAGES=1`, also to `docs/images/README` for the README:
 * `UPDATE_README_IMAGES=1 npx vitest run e2e/browser`.
 *
 * @example
 * ```ts
 * await screenshot(page, 'console', 'console.png');
 * ```
 */
export async function screenshot(page: Page, name: string, readme?: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const target = readmeImageTarget(readme);
  if (target !== null) {
    mkdirSync(README_IMAGES, { recursive: true });
    await page.screenshot({ path: target, fullPage: true, scale: 'css' });
  }
}
