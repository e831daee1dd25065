import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { README_IMAGES, readmeImageTarget, SCREENSHOTS } from './support/browser.js';

describe('browser test screenshots', () => {
  it('go to artifacts/ only, even when a README image is missing', () => {
    expect(SCREENSHOTS).toMatch(/[/\\]artifacts[/\\]screenshots$/);
    expect(readmeImageTarget('never-committed.png', {})).toBeNull();
    expect(readmeImageTarget('console.png', {})).toBeNull();
    expect(readmeImageTarget('console.png', { UPDATE_README_IMAGES: '0' })).toBeNull();
    expect(readmeImageTarget(undefined, { UPDATE_README_IMAGES: '1' })).toBeNull();
  });

  it('rewrite a committed README image only with UPDATE_README_IMAGES=1', () => {
    expect(readmeImageTarget('console.png', { UPDATE_README_IMAGES: '1' })).toBe(
      join(README_IMAGES, 'console.png'),
    );
  });
});
