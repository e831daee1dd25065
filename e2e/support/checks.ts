// The two promises the fault and load suites check after every scenario: no acknowledged revocation is
// lost, and every revoked token is rejected by every API process (while valid ones still pass).
import type { ApiServer, Cluster } from './cluster.js';
import type { Token } from './issuer-client.js';
import type { Acknowledged } from './traffic.js';

/** Acknowledged revocations missing from the issuer's log (or different there): should be none. */
export async function lostRevocations(
  cluster: Cluster,
  acknowledged: readonly Acknowledged[],
): Promise<string[]> {
  const log = new Map((await cluster.issuerClient.readLog()).map((event) => [event.seq, event]));
  const lost: string[] = [];
  for (const ack of acknowledged) {
    const event = log.get(ack.seq);
    if (event === undefined || JSON.stringify(event.rule) !== JSON.stringify(ack.rule)) {
      lost.push(
        `seq ${ack.seq} (${JSON.stringify(ack.rule)}) is ${event ? 'different' : 'missing'} in the log`,
      );
    }
  }
  return lost;
}

/**
 * Calls every API process with every token and lists the answers that differ from `expected`
 * (`401 ERR_TOKEN_REVOKED` for revoked tokens, `200` for valid ones): should be none.
 */
export async function wrongAnswers(
  apis: readonly ApiServer[],
  tokens: readonly Token[],
  expected: 'revoked' | 'valid',
  concurrency = 8,
): Promise<string[]> {
  const jobs = apis.flatMap((api) => tokens.map((token) => ({ api, token })));
  const wrong: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const { api, token } = jobs[next++]!;
        const { status, code } = await api.call(token.token);
        const right =
          expected === 'revoked' ? status === 401 && code === 'ERR_TOKEN_REVOKED' : status === 200;
        if (!right)
          wrong.push(
            `${api.config.name} answered ${status} ${code ?? ''} for ${expected} token ${token.jti}`,
          );
      }
    }),
  );
  return wrong;
}
