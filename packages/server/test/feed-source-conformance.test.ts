import { HttpFeedSource } from '@revocable/core';
import { describeFeedSourceContract } from '@revocable/core/testing';
import { FreezableTcpProxy } from '../../core/test/support/tcp-proxy.js';
import { CLIENT, startService } from './support/service.js';

const HEARTBEAT_MS = 2000; // the service's SSE heartbeat (routes/feed.ts)

// The service's HTTP feed (snapshot, catch-up, SSE) read through a loopback proxy that can make the
// connection go silent without closing it.
describeFeedSourceContract('HttpFeedSource against revocable serve (SSE)', async () => {
  const service = await startService('memory');
  const proxy = await FreezableTcpProxy.start(Number(new URL(service.url).port));
  const source = new HttpFeedSource({
    url: `http://127.0.0.1:${proxy.port}`,
    clientId: CLIENT.id,
    clientSecret: CLIENT.secret,
    heartbeatTimeoutMs: HEARTBEAT_MS + 1000,
    maxBackoffMs: 500,
  });
  return {
    source,
    append: (requests) => service.runtime.log.append(requests),
    heartbeatMs: HEARTBEAT_MS,
    connection: {
      // The open connections go silent for good (a NAT that forgot them); new ones work.
      silence: async () => proxy.halfOpen(),
      restore: async () => {},
      noticeWithinMs: HEARTBEAT_MS + 1000 + 2000,
    },
    async cleanup() {
      await proxy.close();
      await service.close();
    },
  };
});
