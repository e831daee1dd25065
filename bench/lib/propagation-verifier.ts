// One verifier process of the `propagation` suite, run by bench/propagation.ts (startChild). On `follow`
// it bootstraps a Replica from the issuer and follows it over Redis Streams (RedisFeedSource, with the
// HTTP feed as fallback) or over the service's SSE feed (HttpFeedSource). Each time an event is applied
// it checks that the revoked id is now rejected (`replica.check`, the verifier's revocation hook) and
// records that instant on the machine-wide monotonic clock (hrtime), which the parent compares with the
// instant the revoke call was acknowledged.
import {
  type FeedSource,
  HttpFeedSource,
  Replica,
  ReplicaFollower,
  type RevocationEvent,
  type TokenFacts,
} from '@revocable/core';
import { createRedisFollower } from '@revocable/redis';
import { Redis } from 'ioredis';
import { serveParent } from './child.js';

/** What the parent passes (one JSON argument). */
export interface VerifierConfig {
  readonly issuerUrl: string;
  readonly issuer: string;
  readonly redisUrl: string;
  readonly client: { readonly id: string; readonly secret: string };
}

export type Transport = 'redis' | 'sse';

/** `[seq, µs]`: when event `seq` made its token rejected here (hrtime, microseconds). */
export type Applied = [seq: number, atUs: number];

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

interface Following {
  readonly applied: Applied[];
  readonly replica: Replica;
  stop(): void;
}

async function follow(transport: Transport): Promise<Following> {
  const applied: Applied[] = [];
  const replica = new Replica({ maxStalenessMs: 30_000 });
  const apply = replica.apply.bind(replica);
  replica.apply = (event: RevocationEvent) => {
    const done = apply(event);
    if (done && event.rule.kind === 'token' && replica.check(factsOf(event.rule.tokenId)) === 'token') {
      applied.push([event.seq, nowUs()]);
    }
    return done;
  };
  const http = new HttpFeedSource({
    url: config.issuerUrl,
    clientId: config.client.id,
    clientSecret: config.client.secret,
  });
  if (transport === 'sse') {
    const follower = new ReplicaFollower(replica, http as FeedSource);
    await follower.start();
    const stop = () => {
      follower.stop();
      replica.close();
    };
    return { applied, replica, stop };
  }
  const client = new Redis(config.redisUrl);
  client.on('error', () => {});
  const { follower } = createRedisFollower(replica, { client, issuer: config.issuer, fallback: http });
  await follower.start();
  return {
    applied,
    replica,
    stop: () => {
      follower.stop();
      replica.close();
      client.disconnect();
    },
  };
}

let current: Following | undefined;

await serveParent(async () => ({
  ready: { pid: process.pid },
  handlers: {
    follow: async (transport) => {
      current?.stop();
      current = await follow(transport as Transport);
      return { lastSeq: current.replica.lastSeq };
    },
    /** Hands over (and forgets) what was applied so far. */
    collect: () => current?.applied.splice(0) ?? [],
    stats: () => current?.replica.stats(),
    unfollow: () => {
      current?.stop();
      current = undefined;
    },
    close: () => {
      current?.stop();
      current = undefined;
    },
  },
}));
