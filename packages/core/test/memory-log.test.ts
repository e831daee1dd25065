import { MemoryRevocationLog } from '@revocable/core';
import { describeRevocationLogContract } from './conformance/revocation-log.js';

describeRevocationLogContract('MemoryRevocationLog', async ({ clock, policy, onListenerError }) => ({
  log: new MemoryRevocationLog({ clock, onListenerError, ...(policy ? { policy } : {}) }),
}));
