import { MemoryKeyStore, MemorySeenTokenStore, MemoryStreamStore } from '@revocable/core';
import { MemorySessionStore, MemoryUserStore } from '@revocable/core/internal';
import {
  describeKeyStoreContract,
  describeSeenTokenStoreContract,
  describeSessionStoreContract,
  describeStreamStoreContract,
  describeUserStoreContract,
} from '@revocable/core/testing';

describeSessionStoreContract('memory', async () => ({ store: new MemorySessionStore() }));
describeUserStoreContract('memory', async () => {
  const store = new MemoryUserStore();
  return { users: store, clients: store };
});
describeKeyStoreContract('memory', async () => ({ store: new MemoryKeyStore() }));
describeSeenTokenStoreContract('memory', async ({ clock }) => ({
  store: new MemorySeenTokenStore({ clock }),
}));
describeStreamStoreContract('memory', async () => ({ store: new MemoryStreamStore() }));
