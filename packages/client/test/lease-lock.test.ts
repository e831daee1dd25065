import { describe, expect, it } from 'vitest';
import { LeaseLock } from '../src/lease-lock.js';
import { MemoryStorage, sleep } from './support/fakes.js';

const timing = { leaseMs: 1000, settleMs: 5, pollMs: 5 };

describe('LeaseLock (the fallback without Web Locks)', () => {
  it('never lets two tabs run at once', async () => {
    const storage = new MemoryStorage();
    const tabs = [0, 1, 2].map(
      (i) => new LeaseLock(storage, 'app:refresh-lease', { timing, owner: `tab${i}` }),
    );
    let running = 0;
    let most = 0;
    const task = async () => {
      running++;
      most = Math.max(most, running);
      await sleep(3);
      running--;
    };
    await Promise.all(tabs.flatMap((tab) => [tab.run(task), tab.run(task), tab.run(task)]));
    expect(most).toBe(1);
  });

  it('runs the tasks of one tab one after another', async () => {
    const lock = new LeaseLock(new MemoryStorage(), 'k', { timing });
    const order: string[] = [];
    await Promise.all([
      lock.run(async () => {
        await sleep(5);
        order.push('first');
      }),
      lock.run(async () => {
        order.push('second');
      }),
    ]);
    expect(order).toEqual(['first', 'second']);
  });

  it('tells a task whether it had to wait for another tab', async () => {
    const storage = new MemoryStorage();
    const [a, b] = ['a', 'b'].map((owner) => new LeaseLock(storage, 'k', { timing, owner }));
    const waited: string[] = [];
    const first = a!.run(async (w) => {
      waited.push(`a ${w}`);
      await sleep(30);
    });
    await sleep(10);
    await Promise.all([first, b!.run(async (w) => void waited.push(`b ${w}`))]);
    await b!.run(async (w) => void waited.push(`b again ${w}`));
    expect(waited).toEqual(['a false', 'b true', 'b again false']);
  });

  it('frees the lease when the task ends, even when it throws', async () => {
    const storage = new MemoryStorage();
    const lock = new LeaseLock(storage, 'k', { timing });
    await expect(lock.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(storage.getItem('k')).toBeNull();
  });

  it('takes over a lease its holder stopped renewing (a tab closed mid-refresh)', async () => {
    const storage = new MemoryStorage();
    let now = 1_000_000;
    storage.setItem('k', JSON.stringify({ owner: 'closed-tab', until: now + 1000 }));
    const lock = new LeaseLock(storage, 'k', { timing, now: () => now, owner: 'me' });
    let ran = false;
    const run = lock.run(async () => {
      ran = true;
    });
    await sleep(20);
    expect(ran).toBe(false);
    now += 1001;
    await run;
    expect(ran).toBe(true);
  });

  it('keeps only an owner id and a time in storage', async () => {
    const storage = new MemoryStorage();
    const lock = new LeaseLock(storage, 'k', { timing, owner: 'me', now: () => 5 });
    await lock.run(async () => {
      expect(JSON.parse(storage.getItem('k')!)).toEqual({ owner: 'me', until: 1005 });
    });
  });
});
