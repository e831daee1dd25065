import { MemoryRevocationLog } from '@revocable/core';
import { describeRevocationLogContract } from './conformance/revocation-log.js';

describeRevocationLogContract('MemoryRevocationLog', async ({ clock, policy }) => ({
  log: new MemoryRevocationLog({ clock, ...(policy ? { policy } : {}) }),
}));
