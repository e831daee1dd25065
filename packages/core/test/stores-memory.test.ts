import { MemoryKeyStore, MemorySeenTokenStore, MemoryStreamStore } from '@revocable/core';
import { MemorySessionStore, MemoryStatusListStore, MemoryUserStore } from '@revocable/core/internal';
import {
  describeKeyStoreContract,
  describeSeenTokenStoreContract,
  describeSessionStoreContract,
  describeStatusListStoreContract,
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
describeStatusListStoreContract('memory', async () => ({ store: new MemoryStatusListStore() }));
describeStreamStoreContract('memory', async () => ({ store: new MemoryStreamStore() }));
