import {
  BatchingRevocationLog,
  MemoryRevocationLog,
  type RevocationEvent,
  type RevocationRequest,
} from '@revocable/core';
import { describeRevocationLogContract } from '@revocable/core/testing';
import { describe, expect, it } from 'vitest';

describeRevocationLogContract(
  'BatchingRevocationLog over MemoryRevocationLog',
  async ({ clock, policy, onListenerError }) => ({
    log: new BatchingRevocationLog(
      new MemoryRevocationLog({ clock, onListenerError, ...(policy ? { policy } : {}) }),
      {
        clock,
        ...(policy ? { policy } : {}),
      },
    ),
  }),
);

/** A real memory log whose appends take a while, as a durable commit does, and are counted. */
class SlowLog extends MemoryRevocationLog {
  appends = 0;
  override async append(requests: readonly RevocationRequest[]): Promise<RevocationEvent[]> {
    this.appends++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return super.append(requests);
  }
}

const request = (i: number): RevocationRequest => ({
  rule: { kind: 'token', iss: 'https://auth.example', tokenId: `t${i}`, expiresAt: Date.now() + 60_000 },
  reason: 'logout',
  actor: 'system',
});

describe('BatchingRevocationLog', () => {
  it('writes appends made during a commit together, each caller getting its own events in order', async () => {
    const inner = new SlowLog();
    const log = new BatchingRevocationLog(inner);
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => log.append([request(i)])));
    expect(inner.appends).toBeLessThan(10);
    expect(results.map(([event]) => event!.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(results.map(([event]) => (event!.rule as { tokenId: string }).tokenId)).toEqual(
      Array.from({ length: 200 }, (_, i) => `t${i}`),
    );
  });

  it('fails only the caller whose request is invalid', async () => {
    const log = new BatchingRevocationLog(new SlowLog());
    const bad = {
      rule: { kind: 'nonsense' },
      reason: 'logout',
      actor: 'system',
    } as unknown as RevocationRequest;
    const [first, broken, last] = await Promise.allSettled([
      log.append([request(1)]),
      log.append([bad]),
      log.append([request(2)]),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(broken).toMatchObject({ status: 'rejected', reason: { code: 'ERR_REVOCATION_INVALID' } });
    expect(last.status).toBe('fulfilled');
    expect(await log.lastSeq()).toBe(2);
  });

  it('respects maxBatch', async () => {
    const inner = new SlowLog();
    const log = new BatchingRevocationLog(inner, { maxBatch: 10 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => log.append([request(i)])));
    expect(inner.appends).toBeGreaterThanOrEqual(10);
  });
});
