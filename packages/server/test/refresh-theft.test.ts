import type { RunningService } from '@revocable/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, backendAvailable, Http, startService } from './support/service.js';

// The outside review's finding: a thief replaying a stolen, spent refresh token inside the grace window
// got a sibling, and then a new sibling after each of the victim's refreshes, forever. The promise now:
// one refresh at most for a copy, before the next refresh of either party ends the session.
for (const backend of BACKENDS) {
  describe(`a copied refresh token (${backend.name})`, async () => {
    const available = await backendAvailable(backend);
    if (!available) console.warn(`[skip] ${backend.name} is not reachable here: refresh theft tests skipped`);
    let service: RunningService;
    let http: Http;
    let user = 0;
    beforeAll(async () => {
      if (!available) return;
      service = await startService(await backend.fresh(), ['--refresh-grace', '30']);
      http = new Http(service.url);
    });
    afterAll(async () => {
      await service?.close();
      await backend.cleanup();
    });
    const refresh = (token: string) => http.post('/auth/refresh', { refresh_token: token });

    it.skipIf(!available)(
      'gets one refresh at most: the victim’s next refresh makes the thief’s next one a reuse that ends the session',
      async () => {
        const victimLogin = await http.registerAndLogin(`victim-${backend.name}-${user++}`);
        const stolen = victimLogin.refresh_token;
        // Control: the victim rotates, and the thief's replay of the spent token inside the window gets
        // the one grace sibling (two tabs racing look exactly like this).
        const victim1 = await refresh(stolen);
        expect(victim1.status).toBe(200);
        const thief1 = await refresh(stolen);
        expect(thief1.status).toBe(200);
        // The victim refreshes again: the thief's branch is the branch not taken.
        const victim2 = await refresh(victim1.body.refresh_token);
        expect(victim2.status).toBe(200);
        // The thief's next refresh, well inside the window, is reuse: the session ends for both.
        const thief2 = await refresh(thief1.body.refresh_token);
        expect(thief2.status).toBe(401);
        expect(thief2.body.error).toBe('ERR_REFRESH_TOKEN_REUSED');
        for (const access of [victim2.body.access_token, thief1.body.access_token])
          expect((await http.get('/api/me', access)).body.error).toBe('ERR_TOKEN_REVOKED');
        expect((await refresh(victim2.body.refresh_token)).body.error).toBe('ERR_REFRESH_TOKEN_INVALID');
      },
    );

    it.skipIf(!available)(
      'ends the session when the thief moves first and the victim refreshes next',
      async () => {
        const victimLogin = await http.registerAndLogin(`victim-${backend.name}-${user++}`);
        const victim1 = await refresh(victimLogin.refresh_token);
        const thief1 = await refresh(victimLogin.refresh_token);
        expect(thief1.status).toBe(200);
        const thief2 = await refresh(thief1.body.refresh_token);
        expect(thief2.status).toBe(200);
        const victim2 = await refresh(victim1.body.refresh_token);
        expect(victim2.body.error).toBe('ERR_REFRESH_TOKEN_REUSED');
        expect((await http.get('/api/me', thief2.body.access_token)).body.error).toBe('ERR_TOKEN_REVOKED');
      },
    );

    it.skipIf(!available)(
      'never lets a thief follow the victim’s rotations: 6 alternating rounds end at the first',
      async () => {
        const victimLogin = await http.registerAndLogin(`victim-${backend.name}-${user++}`);
        let victimToken = victimLogin.refresh_token;
        let thiefToken = victimLogin.refresh_token;
        let thiefRefreshes = 0;
        let reuseDetected = false;
        for (let round = 0; round < 6 && !reuseDetected; round++) {
          const v = await refresh(victimToken);
          if (v.status !== 200) {
            reuseDetected = v.body.error === 'ERR_REFRESH_TOKEN_REUSED';
            break;
          }
          victimToken = v.body.refresh_token;
          const t = await refresh(thiefToken);
          if (t.status !== 200) {
            reuseDetected = t.body.error === 'ERR_REFRESH_TOKEN_REUSED';
            break;
          }
          thiefRefreshes++;
          thiefToken = t.body.refresh_token;
        }
        expect(reuseDetected).toBe(true);
        expect(thiefRefreshes).toBeLessThanOrEqual(1);
      },
    );

    it.skipIf(!available)(
      'keeps the two-tab case working: two refreshes of one token at once both work, the session lives',
      async () => {
        for (let round = 0; round < 5; round++) {
          const login = await http.registerAndLogin(`tabs-${backend.name}-${user++}`);
          const [a, b] = await Promise.all([refresh(login.refresh_token), refresh(login.refresh_token)]);
          expect([a.status, b.status]).toEqual([200, 200]);
          for (const tab of [a, b])
            expect((await http.get('/api/me', tab.body.access_token)).status).toBe(200);
          // One tab (the one that keeps the lock) goes on refreshing: the session lives.
          const next = await refresh(a.body.refresh_token);
          expect(next.status).toBe(200);
          expect((await http.get('/api/me', next.body.access_token)).status).toBe(200);
        }
      },
    );
  });
}
