import { describe, expect, it } from 'vitest';
import { TabMutex } from '../src/refresh-lock.js';
import { SingleFlightRefresh } from '../src/single-flight-refresh.js';
import type { Grant } from '../src/tab-channel.js';
import { MemoryStorage, sleep } from './support/fakes.js';

const grant = (token: string): Grant => ({
  token,
  issuedAt: 0,
  expiresAt: Number.MAX_SAFE_INTEGER,
  sessionId: 's',
});

/**
 * Tabs sharing one lock and one localStorage; a rotation's token reaches the other tabs after
 * `deliveryMs`. Without `note`, no rotation note at all: as in a browser where another process's
 * localStorage write is not visible yet when the lock is granted.
 */
function tabs(count: number, deliveryMs: number, { note = true } = {}) {
  const lock = new TabMutex();
  const storage = note ? new MemoryStorage() : undefined;
  let rotations = 0;
  const held: (Grant | null)[] = Array.from({ length: count }, () => grant('t0'));
  const waiters = new Set<() => void>();
  const deliver = (from: number, g: Grant) => {
    held[from] = g;
    setTimeout(() => {
      held.forEach((_, i) => {
        if (i !== from) held[i] = g;
      });
      for (const w of [...waiters]) w();
    }, deliveryMs);
  };
  const coordinators = held.map(
    (_, i) =>
      new SingleFlightRefresh({
        lock,
        storage,
        markerKey: 'app:rotated',
        current: () => held[i] ?? null,
        waitForGrant: (stale, ms) =>
          new Promise((resolve) => {
            const check = () => {
              const g = held[i];
              if (g && g.token !== stale) {
                waiters.delete(check);
                resolve(g);
              }
            };
            waiters.add(check);
            check();
            setTimeout(() => {
              waiters.delete(check);
              resolve(null);
            }, ms);
          }),
        rotate: async () => {
          await sleep(2);
          const g = grant(`t${++rotations}`);
          deliver(i, g);
          return g;
        },
      }),
  );
  return { coordinators, rotations: () => rotations, storage };
}

describe('SingleFlightRefresh', () => {
  it('rotates once for concurrent calls in one tab', async () => {
    const { coordinators, rotations } = tabs(1, 0);
    const [tab] = coordinators;
    const results = await Promise.all([tab!.refresh('t0'), tab!.refresh('t0'), tab!.refresh('t0')]);
    expect(results.map((g) => g.token)).toEqual(['t1', 't1', 't1']);
    expect(rotations()).toBe(1);
  });

  it('rotates once for tabs that refresh at once, even when the shared token arrives after the lock', async () => {
    const { coordinators, rotations } = tabs(3, 20);
    const results = await Promise.all(coordinators.map((tab) => tab.refresh('t0')));
    expect(results.map((g) => g.token)).toEqual(['t1', 't1', 't1']);
    expect(rotations()).toBe(1);
  });

  it('rotates once for tabs that refresh at once when the lock is granted before the note or the token arrive', async () => {
    const { coordinators, rotations } = tabs(2, 20, { note: false });
    const results = await Promise.all(coordinators.map((tab) => tab.refresh('t0')));
    expect(results.map((g) => g.token)).toEqual(['t1', 't1']);
    expect(rotations()).toBe(1);
  });

  it('rotates again for a later refresh: only a rotation made while waiting is reused', async () => {
    const { coordinators, rotations } = tabs(2, 0);
    await coordinators[0]!.refresh('t0');
    await sleep(5);
    expect((await coordinators[1]!.refresh('t1')).token).toBe('t2');
    expect(rotations()).toBe(2);
  });

  it('notes a rotation in storage without any token in it', async () => {
    const { coordinators, storage } = tabs(1, 0);
    await coordinators[0]!.refresh('t0');
    expect(storage!.getItem('app:rotated')).toMatch(/^[a-z0-9]+\.[a-z0-9]+$/);
    // The note is random base36: check that no stored value holds the rotated token, not that the
    // two characters "t1" never occur in it (they can, by chance).
    const stored: [string, string][] = JSON.parse(storage!.dump());
    expect(stored.flatMap(([, value]) => value.split(/[^A-Za-z0-9]/))).not.toContain('t1');
  });

  it('lets the next call rotate after a failed rotation', async () => {
    const lock = new TabMutex();
    let attempts = 0;
    const flight = new SingleFlightRefresh({
      lock,
      storage: undefined,
      markerKey: 'k',
      current: () => null,
      waitForGrant: async () => null,
      rotate: async () => {
        attempts++;
        if (attempts === 1) throw new Error('offline');
        return grant('t1');
      },
    });
    await expect(flight.refresh(null)).rejects.toThrow('offline');
    expect((await flight.refresh(null)).token).toBe('t1');
  });
});
