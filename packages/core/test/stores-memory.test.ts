import { MemoryKeyStore, MemorySessionStore, MemoryUserStore } from '@revocable/core';
import {
  describeKeyStoreContract,
  describeSessionStoreContract,
  describeUserStoreContract,
} from '@revocable/core/testing';

describeSessionStoreContract('memory', async () => ({ store: new MemorySessionStore() }));
describeUserStoreContract('memory', async () => {
  const store = new MemoryUserStore();
  return { users: store, clients: store };
});
describeKeyStoreContract('memory', async () => ({ store: new MemoryKeyStore() }));
