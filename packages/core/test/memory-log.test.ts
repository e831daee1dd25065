import { MemoryRevocationLog } from '@revocable/core';
import { describeRevocationLogContract } from '@revocable/core/testing';

describeRevocationLogContract('MemoryRevocationLog', async ({ clock, policy, onListenerError }) => ({
  log: new MemoryRevocationLog({ clock, onListenerError, ...(policy ? { policy } : {}) }),
}));
