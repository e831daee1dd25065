import { setTimeout as sleep } from 'node:timers/promises';
import { AccessTokenIssuer, KeyRing, MemoryRevocationLog, Revoker } from '@revocable/core';
import {
  MemorySessionStore,
  type NewRefreshToken,
  type RefreshOutcome,
  type SessionTouch,
} from '@revocable/core/internal';
import { SessionService } from '@revocable/server/internal';
import { describe, expect, it } from 'vitest';

/** A session store that runs a hook after a rotation has committed, before the caller sees it. */
class PausingStore extends MemorySessionStore {
  afterRotate: (() => Promise<void>) | undefined;
  override async rotate(hash: string, next: NewRefreshToken, touch: SessionTouch): Promise<RefreshOutcome> {
    const outcome = await super.rotate(hash, next, touch);
    const hook = this.afterRotate;
    this.afterRotate = undefined;
    await hook?.();
    return outcome;
  }
}

function iatMsOf(token: string): number {
  const payload = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8'));
  return payload.iat * 1000;
}

describe('SessionService: a logout between a rotation and its signature', () => {
  it('revokes the access token the racing refresh signs (it counts as issued when the rotation was decided)', async () => {
    const store = new PausingStore();
    const log = new MemoryRevocationLog();
    const keys = await KeyRing.open();
    const sessions = new SessionService({
      store,
      issuer: new AccessTokenIssuer({ keys, issuer: 'https://auth.example', audience: 'api' }),
      revoker: new Revoker(log),
      iss: 'https://auth.example',
      policy: { idleMs: 3_600_000, absoluteMs: 86_400_000, refreshGraceMs: 5_000 },
    });
    const context = { device: null, ip: null };
    const login = await sessions.open({ sub: 'racer', clientId: 'web', ...context });
    // The rotation commits; then, before the refresh signs its access token, the user logs out.
    store.afterRotate = async () => {
      await sleep(5);
      await sessions.end(login.sessionId, { actor: 'user:racer', reason: 'logout' });
      await sleep(5);
    };
    const refreshed = await sessions.refresh(login.refreshToken, context);
    const events = await log.readAfter(0, 100);
    const rule = events.find((e) => e.rule.kind === 'session')!.rule as { cutoff: number };
    // A session rule rejects tokens issued at or before its cutoff: this one must be among them.
    expect(iatMsOf(refreshed.accessToken)).toBeLessThanOrEqual(rule.cutoff);
    // And the session cannot be refreshed again.
    await expect(sessions.refresh(refreshed.refreshToken, context)).rejects.toMatchObject({
      code: 'ERR_REFRESH_TOKEN_INVALID',
    });
  });
});
