import { MemoryKeyStore, MemorySessionStore, MemoryUserStore } from '@revocable/core';
import { describeKeyStoreContract } from './conformance/key-store.js';
import { describeSessionStoreContract } from './conformance/session-store.js';
import { describeUserStoreContract } from './conformance/user-store.js';

describeSessionStoreContract('memory', async () => ({ store: new MemorySessionStore() }));
describeUserStoreContract('memory', async () => {
  const store = new MemoryUserStore();
  return { users: store, clients: store };
});
describeKeyStoreContract('memory', async () => ({ store: new MemoryKeyStore() }));
