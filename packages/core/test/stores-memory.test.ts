import { MemoryKeyStore } from '@revocable/core';
import { MemorySessionStore, MemoryStatusListStore, MemoryUserStore } from '@revocable/core/internal';
import {
  describeKeyStoreContract,
  describeSessionStoreContract,
  describeStatusListStoreContract,
  describeUserStoreContract,
} from '@revocable/core/testing';

describeSessionStoreContract('memory', async () => ({ store: new MemorySessionStore() }));
describeUserStoreContract('memory', async () => {
  const store = new MemoryUserStore();
  return { users: store, clients: store };
});
describeKeyStoreContract('memory', async () => ({ store: new MemoryKeyStore() }));
describeStatusListStoreContract('memory', async () => ({ store: new MemoryStatusListStore() }));
