// The edge as a follower in the `propagation` suite, run by bench/propagation.ts (startChild): on
// `follow`, `revocable edge` (startEdge: connectToService, the service's SSE feed with client
// credentials) starts against the issuer. Each time an event reaches the replica every request of the
// edge consults, it checks that the revoked id is now rejected there (`replica.check`) and records that
// instant on the machine-wide monotonic clock, as the verifier processes do.
import type { RevocationEvent, TokenFacts } from '@revocable/core';
import { type RunningEdge, startEdge } from '@revocable/edge';
import { serveParent } from './child.js';
import type { Applied, VerifierConfig } from './propagation-verifier.js';

const config = JSON.parse(process.argv[2] ?? '{}') as VerifierConfig;
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

function factsOf(tokenId: string): TokenFacts {
  const now = Date.now();
  return {
    tokenId,
    iss: config.issuer,
    sub: 'bench',
    sid: undefined,
    kid: 'bench',
    issuedAtMs: now - 1000,
    expiresAtMs: now + 60_000,
  };
}

let edge: RunningEdge | undefined;
const applied: Applied[] = [];

await serveParent(async () => ({
  ready: { pid: process.pid },
  handlers: {
    follow: async () => {
      await edge?.close();
      edge = await startEdge({
        service: config.issuer,
        clientId: config.client.id,
        clientSecret: config.client.secret,
        port: 0,
      });
      const replica = edge.connection.replica;
      const apply = replica.apply.bind(replica);
      replica.apply = (event: RevocationEvent) => {
        const done = apply(event);
        if (done && event.rule.kind === 'token' && replica.check(factsOf(event.rule.tokenId)) === 'token') {
          applied.push([event.seq, nowUs()]);
        }
        return done;
      };
      return { lastSeq: replica.lastSeq };
    },
    collect: () => applied.splice(0),
    unfollow: async () => {
      await edge?.close();
      edge = undefined;
    },
    close: async () => {
      await edge?.close();
      edge = undefined;
    },
  },
}));
