// Load over Redis Streams in separate processes: revocations at a steady rate plus verify traffic at N
// API processes, then: no acknowledged revocation lost, every revoked token rejected everywhere, memory
// bounded. Full mode (E2E_FULL=1): 8 API processes, 1,000 revocations/s for 60 s. The normal run is a
// short version sized for a 2-core CI machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerAvailable } from '../packages/redis/test/support/redis-server.js';
import { postgresAvailable } from '../packages/server/test/support/postgres.js';
import { lostRevocations, wrongAnswers } from './support/checks.js';
import { type ApiStats, Cluster } from './support/cluster.js';
import type { Token } from './support/issuer-client.js';
import { mintTokens, RevocationStream, VerifyTraffic } from './support/traffic.js';

const FULL = process.env.E2E_FULL === '1';
const SETTINGS = FULL
  ? {
      apis: 8,
      seconds: 60,
      rate: 1000,
      realTokens: 1200,
      syntheticPerToken: 49,
      verifiers: 8,
      verifyRate: 500,
    }
  : { apis: 3, seconds: 4, rate: 150, realTokens: 60, syntheticPerToken: 9, verifiers: 3, verifyRate: 300 };
const ready = redisServerAvailable() && (await postgresAvailable());
const MB = 1024 * 1024;

describe.skipIf(!ready)(
  `load: ${SETTINGS.apis} API processes, ${SETTINGS.rate} revocations/s for ${SETTINGS.seconds} s`,
  () => {
    let cluster: Cluster;
    let revocable: Token[];
    let valid: Token[];

    beforeAll(async () => {
      cluster = await Cluster.start({ apis: SETTINGS.apis, maxStalenessMs: 10_000 });
      revocable = await mintTokens(cluster.issuerClient, SETTINGS.realTokens, 'load', 8);
      valid = await mintTokens(cluster.issuerClient, 20, 'load-valid');
    }, 300_000);

    afterAll(async () => {
      await cluster?.stop();
    }, 60_000);

    it('loses nothing, rejects every revoked token everywhere and keeps memory bounded', async () => {
      const before = await Promise.all(cluster.apis.map((api) => api.stats()));
      const started = Date.now();
      const stream = new RevocationStream(cluster.issuerClient, {
        rate: SETTINGS.rate,
        maxInFlight: 64,
        tokens: revocable,
        syntheticPerToken: SETTINGS.syntheticPerToken,
      }).start();
      const traffic = new VerifyTraffic(
        () => cluster.apis,
        valid,
        SETTINGS.verifiers,
        SETTINGS.verifyRate,
      ).start();
      await new Promise((resolve) => setTimeout(resolve, SETTINGS.seconds * 1000));
      await stream.stop();
      const counts = await traffic.stop();
      const elapsed = (Date.now() - started) / 1000;

      const convergeStart = Date.now();
      await cluster.converged(stream.maxSeq, cluster.apis, 120_000);
      const convergeMs = Date.now() - convergeStart;
      const after = await Promise.all(cluster.apis.map((api) => api.stats()));
      report(elapsed, stream, counts, convergeMs, before, after);

      expect(stream.unacknowledged).toEqual([]);
      expect(await lostRevocations(cluster, stream.acknowledged)).toEqual([]);
      expect(stream.revokedTokens.length).toBeGreaterThan(0);
      expect(await wrongAnswers(cluster.apis, stream.revokedTokens, 'revoked', 16)).toEqual([]);
      expect(await wrongAnswers(cluster.apis, valid, 'valid')).toEqual([]);
      expect(Object.keys(counts).filter((key) => key.startsWith('401'))).toEqual([]);
      for (const stats of after) {
        expect(stats.replica.lastSeq).toBeGreaterThanOrEqual(stream.maxSeq);
        expect(stats.source.fellBehind).toBe(0);
        expect(stats.replica.bootstraps).toBe(1);
        // Bounded: the revocation set is compact, and the process does not grow with the traffic.
        // (The table starts at a fixed 48 KiB; beyond that it takes about 25 bytes per id: the revocation bench.)
        expect(stats.replica.tokenTableBytes).toBeLessThanOrEqual(64 * 1024 + 64 * stats.replica.tokens);
        expect(stats.memory.rss).toBeLessThan(400 * MB);
      }
      // Last, so that a slower machine still gets the checks above. The full run holds the machine to
      // the offered rate; the short run shares two cores with everything else, so it checks correctness
      // under load, not the rate.
      const achieved = stream.acknowledged.length / elapsed;
      expect(
        achieved,
        `sustained ${achieved.toFixed(0)} revocations/s of ${SETTINGS.rate}/s`,
      ).toBeGreaterThan(SETTINGS.rate * (FULL ? 0.9 : 0.25));
    }, 600_000);
  },
);

function report(
  elapsed: number,
  stream: RevocationStream,
  counts: Record<string, number>,
  convergeMs: number,
  before: readonly ApiStats[],
  after: readonly ApiStats[],
): void {
  const verifies = Object.values(counts).reduce((a, b) => a + b, 0);
  const rss = after.map((s) => Math.round(s.memory.rss / MB));
  const growth = after.map((s, i) => Math.round((s.memory.rss - before[i]!.memory.rss) / MB));
  console.info(
    [
      `revocations: ${stream.acknowledged.length} acknowledged in ${elapsed.toFixed(1)} s ` +
        `(${(stream.acknowledged.length / elapsed).toFixed(0)}/s), ${stream.unacknowledged.length} not`,
      `verify: ${verifies} requests (${(verifies / elapsed).toFixed(0)}/s): ${JSON.stringify(counts)}`,
      `every replica at seq ${stream.maxSeq} ${convergeMs} ms after the last acknowledgement`,
      `replicas: ${after[0]!.replica.tokens} revoked ids, ${after[0]!.replica.tokenTableBytes} table bytes; ` +
        `rss MB ${rss.join(', ')} (growth ${growth.join(', ')})`,
    ].join('\n'),
  );
}
