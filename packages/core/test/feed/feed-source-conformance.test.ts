import { LogFeedSource, MemoryRevocationLog } from '@revocable/core';
import { describeFeedSourceContract } from '@revocable/core/testing';

describeFeedSourceContract('LogFeedSource over a MemoryRevocationLog', async () => {
  const log = new MemoryRevocationLog();
  return {
    source: new LogFeedSource(log, { heartbeatMs: 100 }),
    append: (requests) => log.append(requests),
    heartbeatMs: 100,
  };
});
