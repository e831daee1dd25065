import { describe, expect, it } from 'vitest';
import { TabMutex, webLock } from '../src/refresh-lock.js';
import { sharedLocks, sleep } from './support/fakes.js';

describe('the refresh locks tell a task whether another holder had the lock first', () => {
  it('Web Locks: asks with ifAvailable first, then waits its turn', async () => {
    const locks = sharedLocks();
    const [a, b] = [webLock(locks, 'app:refresh'), webLock(locks, 'app:refresh')];
    const order: string[] = [];
    await Promise.all([
      a.run(async (waited) => {
        order.push(`a ${waited}`);
        await sleep(10);
        order.push('a done');
      }),
      b.run(async (waited) => {
        order.push(`b ${waited}`);
      }),
    ]);
    expect(order).toEqual(['a false', 'a done', 'b true']);
    await b.run(async (waited) => {
      expect(waited).toBe(false);
    });
  });

  it('TabMutex: a task queued behind another has waited', async () => {
    const mutex = new TabMutex();
    const seen: boolean[] = [];
    await Promise.all([
      mutex.run(async (waited) => {
        seen.push(waited);
        await sleep(5);
      }),
      mutex.run(async (waited) => {
        seen.push(waited);
      }),
    ]);
    await mutex.run(async (waited) => {
      seen.push(waited);
    });
    expect(seen).toEqual([false, true, false]);
  });
});
