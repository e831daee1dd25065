// An API following the service's SSE feed through a connection that dies silently (half-open: no
// byte, no FIN, no error) must notice, reconnect and catch up. A TCP proxy between the follower and a
// real service makes the connection go silent; revocations go straight to the service meanwhile.
import { HttpFeedSource, Replica, ReplicaFollower, type TokenFacts } from '@revocable/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FreezableTcpProxy } from '../../core/test/support/tcp-proxy.js';
import { BACKENDS, CLIENT, Http, startService } from './support/service.js';

const SQLITE = BACKENDS.find((b) => b.name === 'SQLite')!;
const HEARTBEAT_TIMEOUT_MS = 6000; // HttpFeedSource's default: three of the service's 2 s heartbeats
// Silence is noticed after the timeout; then a 100 ms backoff, a new stream that replays the missed
// events, and a heartbeat (every 2 s) that makes the replica fresh.
const FRESH_AGAIN_WITHIN_MS = HEARTBEAT_TIMEOUT_MS + 100 + 2000 + 2000;
const MAX_STALENESS_MS = 3000;

describe('SSE follower over a half-open connection', () => {
  let service: Awaited<ReturnType<typeof startService>>;
  let proxy: FreezableTcpProxy;
  let http: Http;

  beforeAll(async () => {
    service = await startService(await SQLITE.fresh());
    http = new Http(service.url);
    proxy = await FreezableTcpProxy.start(Number(new URL(service.url).port));
  });

  afterAll(async () => {
    await proxy?.close();
    await service?.close();
    await SQLITE.cleanup();
  });

  async function factsOf(accessToken: string): Promise<TokenFacts> {
    const me = (await http.get('/api/me', accessToken)).body.claims;
    return {
      tokenId: me.jti,
      iss: me.iss,
      sub: me.sub,
      sid: me.sid,
      kid: 'any',
      issuedAtMs: Math.round(me.iat * 1000),
      expiresAtMs: me.exp * 1000,
    };
  }

  it('reconnects when the heartbeats stop, gets the revocation made meanwhile, and is fresh again', async () => {
    const tokens = await http.registerAndLogin('half-open-follower');
    const facts = await factsOf(tokens.access_token);
    const replica = new Replica({ purgeIntervalMs: 0, maxStalenessMs: MAX_STALENESS_MS });
    const errors: unknown[] = [];
    const follower = new ReplicaFollower(
      replica,
      new HttpFeedSource({
        url: `http://127.0.0.1:${proxy.port}`,
        clientId: CLIENT.id,
        clientSecret: CLIENT.secret,
      }),
      { onError: (error) => errors.push(error) },
    );
    try {
      await follower.start();
      // Control: the follower is fresh and the session live, so what follows is the silence's doing.
      await waitFor(() => !replica.stats().stale, 5000);
      expect(replica.check(facts)).toBeUndefined();

      const seqBefore = replica.lastSeq;
      proxy.halfOpen();
      const cutAt = Date.now();
      expect((await http.post('/auth/logout', undefined, tokens.access_token)).status).toBe(204);
      // The old connection stays silent for the rest of the test; the replica goes stale behind it.
      await waitFor(() => replica.stats().stale, MAX_STALENESS_MS + 2500);
      expect(replica.lastSeq).toBe(seqBefore); // nothing arrived over the dead connection

      await waitFor(
        () => replica.lastSeq > seqBefore && !replica.stats().stale,
        FRESH_AGAIN_WITHIN_MS - (Date.now() - cutAt),
      );
      expect(Date.now() - cutAt).toBeLessThan(FRESH_AGAIN_WITHIN_MS);
      expect(replica.check(facts)).toBe('session');
      expect(errors).toContainEqual(
        expect.objectContaining({ code: 'ERR_LOG_UNAVAILABLE', message: expect.stringMatching(/silent/) }),
      );
    } finally {
      follower.stop();
      replica.close();
    }
  }, 30_000);
});

async function waitFor(condition: () => boolean, withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
