// Many API servers over Redis Streams, in separate processes, under the faults of issue 5. Each scenario
// runs a stream of revocations at the issuer and verify traffic at the API processes, breaks something,
// repairs it, and then checks that no acknowledged revocation was lost and that every revoked token is
// rejected by every API process (and every valid one still accepted).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../packages/redis/test/support/redis-server.js';
import { TcpProxy } from '../packages/redis/test/support/tcp-proxy.js';
import { postgresAvailable } from '../packages/server/test/support/postgres.js';
import { lostRevocations, wrongAnswers } from './support/checks.js';
import { type ApiStats, Cluster } from './support/cluster.js';
import { type Token, tokenRule } from './support/issuer-client.js';
import { mintTokens, RevocationStream, VerifyTraffic } from './support/traffic.js';

const ready = redisServerAvailable() && (await postgresAvailable());
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!ready)('API servers following Redis Streams, under faults (separate processes)', () => {
  let cluster: Cluster;
  let pool: Token[];
  let valid: Token[];

  beforeAll(async () => {
    cluster = await Cluster.start({ apis: 3, maxStalenessMs: 5000 });
    pool = await mintTokens(cluster.issuerClient, 120, 'revoked');
    valid = await mintTokens(cluster.issuerClient, 6, 'valid');
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 30_000);

  /** Runs `fault` during a revocation stream and verify traffic, then checks the two promises. */
  async function underFault(tokens: number, fault: (stream: RevocationStream) => Promise<void>) {
    const stream = new RevocationStream(cluster.issuerClient, {
      rate: 40,
      maxInFlight: 4,
      tokens: pool.splice(0, tokens),
      syntheticPerToken: 3,
    }).start();
    const traffic = new VerifyTraffic(() => cluster.apis, valid, 2).start();
    await fault(stream);
    await stream.stop();
    const counts = await traffic.stop();

    console.info(
      `${expect.getState().currentTestName}: ${stream.acknowledged.length} revocations acknowledged, ` +
        `${stream.unacknowledged.length} not; verify answers ${JSON.stringify(counts)}`,
    );
    await cluster.converged(stream.maxSeq);
    expect(await lostRevocations(cluster, stream.acknowledged)).toEqual([]);
    expect(stream.revokedTokens.length).toBeGreaterThan(0);
    expect(await wrongAnswers(cluster.apis, stream.revokedTokens, 'revoked')).toEqual([]);
    expect(await wrongAnswers(cluster.apis, valid, 'valid')).toEqual([]);
    // A valid token is never refused as revoked, whatever broke.
    expect(Object.keys(counts).filter((key) => key.startsWith('401'))).toEqual([]);
    return { stream, counts };
  }

  it('Redis stopped for 10 s during a stream of revocations, then restarted', async () => {
    let during = 0;
    let atRestart: ApiStats[] = [];
    const { counts } = await underFault(40, async (stream) => {
      await sleep(1000);
      await cluster.redis.stop();
      const stoppedAt = Date.now();
      await sleep(10_000);
      await cluster.redis.restart();
      atRestart = await Promise.all(cluster.apis.map((api) => api.stats()));
      during = stream.acknowledged.filter((ack) => ack.at > stoppedAt).length;
      // Long enough for the readers' reconnect backoff (up to 2 s) and then live delivery.
      await sleep(4000);
    });
    // The issuer kept acknowledging revocations while Redis was away.
    expect(during).toBeGreaterThan(100);
    // The replicas stayed fresh from the issuer's HTTP feed meanwhile: the API kept answering.
    expect(counts['200']).toBeGreaterThan(0);
    const stats = await Promise.all(cluster.apis.map((api) => api.stats()));
    for (const [i, s] of stats.entries()) {
      expect(s.source.fallbackPolls).toBeGreaterThan(0);
      // And once Redis was back, events reached every API process through Redis again, not only
      // through the fallback.
      expect(s.source.events, s.name).toBeGreaterThan(atRestart[i]!.source.events);
    }
  }, 90_000);

  it('one API process killed and restarted re-bootstraps and rejects what was revoked meanwhile', async () => {
    let restartedPid = 0;
    const before = cluster.apis[1]!.process.pid;
    await underFault(25, async () => {
      await sleep(500);
      await cluster.apis[1]!.process.kill('SIGKILL');
      await sleep(1500);
      restartedPid = (await cluster.restartApi(1)).process.pid;
      await sleep(1000);
    });
    expect(restartedPid).not.toBe(before);
    const stats = await cluster.apis[1]!.stats();
    expect(stats.pid).toBe(restartedPid);
    expect(stats.replica.bootstraps).toBe(1);
  }, 90_000);

  it('the issuer killed with SIGKILL mid-stream and restarted', async () => {
    let afterRestart = 0;
    const { stream } = await underFault(40, async (stream) => {
      await sleep(1500);
      await cluster.killIssuer('SIGKILL');
      await sleep(1000);
      await cluster.startIssuer();
      const restartedAt = Date.now();
      await sleep(2000);
      afterRestart = stream.acknowledged.filter((ack) => ack.at > restartedAt).length;
    });
    expect(stream.unacknowledged.length).toBeGreaterThan(0);
    expect(afterRestart).toBeGreaterThan(10);
  }, 90_000);

  it('a replica cut off longer than maxStaleness answers ERR_REVOCATION_STALE (503) until it catches up', async () => {
    const redisProxy = await TcpProxy.start(cluster.redis.port);
    const issuerProxy = await TcpProxy.start(cluster.issuerPort);
    const api = await cluster.startApi('api-cut-off', {
      redisUrl: `redis://127.0.0.1:${redisProxy.port}`,
      issuerUrl: `http://127.0.0.1:${issuerProxy.port}`,
      maxStalenessMs: 1500,
      fallbackAfterMs: 500,
    });
    try {
      const victim = pool.shift()!;
      expect((await api.call(victim.token)).status).toBe(200);

      redisProxy.cut();
      issuerProxy.cut();
      const event = await cluster.issuerClient.revoke(tokenRule(victim));
      const answers: string[] = [];
      const deadline = Date.now() + 4000;
      while (!answers.includes('503 ERR_REVOCATION_STALE') && Date.now() < deadline) {
        const { status, code } = await api.call(victim.token);
        answers.push(`${status} ${code ?? ''}`.trim());
        await sleep(50);
      }
      // Before it knows it is stale it cannot know of the revocation (200); from then on: 503, fail-closed.
      expect(answers.at(-1)).toBe('503 ERR_REVOCATION_STALE');
      for (let i = 0; i < 10; i++) {
        expect(await api.call(victim.token)).toEqual({ status: 503, code: 'ERR_REVOCATION_STALE' });
        expect(await api.call(valid[0]!.token)).toEqual({ status: 503, code: 'ERR_REVOCATION_STALE' });
        await sleep(100);
      }

      redisProxy.restore();
      issuerProxy.restore();
      const recovering: string[] = [];
      for (const until = Date.now() + 20_000; Date.now() < until; await sleep(50)) {
        const { status, code } = await api.call(victim.token);
        recovering.push(`${status} ${code ?? ''}`.trim());
        if (status === 401) break;
      }
      expect(recovering.at(-1)).toBe('401 ERR_TOKEN_REVOKED');
      expect(recovering.filter((answer) => answer.startsWith('200'))).toEqual([]);
      await cluster.converged(event.seq, [api]);
      expect(await api.call(valid[0]!.token)).toEqual({ status: 200, code: undefined });
    } finally {
      await api.process.kill('SIGTERM', 5000);
      await redisProxy.close();
      await issuerProxy.close();
    }
  }, 90_000);
});
