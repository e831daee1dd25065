import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RevocableError } from '@revocable/core';
import {
  describeKeyStoreContract,
  describeSeenTokenStoreContract,
  describeSessionStoreContract,
  describeStatusListStoreContract,
  describeStreamStoreContract,
  describeUserStoreContract,
} from '@revocable/core/testing';
import {
  openSqlDatabase,
  openSqlStorage,
  SqlKeyStore,
  SqlSeenTokenStore,
  SqlSessionStore,
  SqlStatusListStore,
  type SqlStorage,
  SqlStreamStore,
  SqlUserStore,
} from '@revocable/sql';
import { afterEach, describe, expect, it } from 'vitest';
import { rotateFromChildren } from './support/rotating-children.js';
import { expectSamples, SAMPLES, writeSamples } from './support/storage-samples.js';

function tempFile(): { file: string; remove: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-stores-'));
  return {
    file: join(dir, 'revocable.db'),
    remove: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

describeSessionStoreContract('SqlSessionStore on a SQLite file', async () => {
  const { file, remove } = tempFile();
  const store = await SqlSessionStore.open({ url: file });
  const cleanup = async () => {
    await store.close();
    await remove();
  };
  return { store, cleanup };
});

describeUserStoreContract('SqlUserStore on a SQLite file', async () => {
  const { file, remove } = tempFile();
  const store = await SqlUserStore.open({ url: file });
  const cleanup = async () => {
    await store.close();
    await remove();
  };
  return { users: store, clients: store, cleanup };
});

describeStatusListStoreContract('SqlStatusListStore on a SQLite file', async () => {
  const { file, remove } = tempFile();
  const stores = [await SqlStatusListStore.open({ url: file })];
  return {
    store: stores[0]!,
    // Its own connection to the file: claims from two handles queue on SQLite's write lock.
    another: async () => {
      stores.push(await SqlStatusListStore.open({ url: file }));
      return stores.at(-1)!;
    },
    cleanup: async () => {
      for (const store of stores) await store.close();
      await remove();
    },
  };
});

describeKeyStoreContract('SqlKeyStore on a SQLite file', async () => {
  const { file, remove } = tempFile();
  const stores = [await SqlKeyStore.open({ url: file })];
  return {
    store: stores[0]!,
    // Closes the first store (and with it the file's only connection) before opening the file again.
    reopen: async () => {
      await stores[0]!.close();
      stores.push(await SqlKeyStore.open({ url: file }));
      return stores.at(-1)!;
    },
    another: async () => {
      stores.push(await SqlKeyStore.open({ url: file }));
      return stores.at(-1)!;
    },
    cleanup: async () => {
      for (const store of stores) await store.close();
      await remove();
    },
  };
});

describeSeenTokenStoreContract('SqlSeenTokenStore on a SQLite file', async ({ clock }) => {
  const { file, remove } = tempFile();
  const stores = [await SqlSeenTokenStore.open({ url: file, clock })];
  return {
    store: stores[0]!,
    another: async () => {
      stores.push(await SqlSeenTokenStore.open({ url: file, clock })); // its own connection
      return stores.at(-1)!;
    },
    cleanup: async () => {
      for (const store of stores) await store.close();
      await remove();
    },
  };
});

describeStreamStoreContract('SqlStreamStore on a SQLite file', async () => {
  const { file, remove } = tempFile();
  const stores = [await SqlStreamStore.open({ url: file })];
  return {
    store: stores[0]!,
    another: async () => {
      stores.push(await SqlStreamStore.open({ url: file })); // its own connection
      return stores.at(-1)!;
    },
    reopen: async () => {
      for (const store of stores) await store.close();
      stores.push(await SqlStreamStore.open({ url: file }));
      return stores.at(-1)!;
    },
    cleanup: async () => {
      for (const store of stores) await store.close();
      await remove();
    },
  };
});

describe('openSqlStorage on SQLite', () => {
  const opened: { close(): Promise<void> }[] = [];
  const removals: (() => Promise<void>)[] = [];

  function file(): string {
    const temp = tempFile();
    removals.push(temp.remove);
    return temp.file;
  }

  async function open(url: string, options: { tablePrefix?: string } = {}): Promise<SqlStorage> {
    const storage = await openSqlStorage({ url, ...options });
    opened.push(storage);
    return storage;
  }

  afterEach(async () => {
    for (const storage of opened.splice(0)) await storage.close();
    for (const remove of removals.splice(0)) await remove();
  });

  it('keeps users, sessions, keys, clients and revocations when the file is reopened', async () => {
    const url = file();
    const first = await open(url);
    await writeSamples(first);
    await first.close();
    await expectSamples(await open(url));
  });

  it('gives one store for users and clients, answers ping, and closes once however often asked', async () => {
    const storage = await open(`sqlite:${file()}`);
    expect(storage.clients).toBe(storage.users);
    await expect(storage.ping()).resolves.toBeUndefined();
    await Promise.all([storage.close(), storage.close()]);
    await storage.close();
    const error = await storage.sessions.getSession('s-1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RevocableError);
    expect((error as RevocableError).code).toBe('ERR_LOG_UNAVAILABLE');
  });

  it('keeps two storages apart in one file with table prefixes', async () => {
    const url = file();
    const one = await open(url, { tablePrefix: 'one_' });
    const two = await open(url, { tablePrefix: 'two_' });
    await writeSamples(one);
    expect(await two.users.getUser(SAMPLES.user.id)).toBeUndefined();
    expect(await two.sessions.getSession(SAMPLES.session.id)).toBeUndefined();
    expect(await two.keys.list()).toEqual([]);
    expect(await two.log.lastSeq()).toBe(0);
    expect(await two.users.createUser(SAMPLES.user)).toBe('created');
  });

  it('refuses a schema, a schema in the url, and a bad table prefix with ERR_CONFIG_INVALID', async () => {
    const url = file();
    for (const options of [
      { url, schema: 'revocable' },
      { url, tablePrefix: 'bad-prefix' },
      { url: 'postgres://db/revocable?schema=Bad-Name' },
      { url: 'postgres://db/revocable?schema=a&schema=b' },
      { url: 'postgres://db/revocable?schema=a', schema: 'b' },
    ]) {
      const error = await openSqlStorage(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RevocableError);
      expect((error as RevocableError).code).toBe('ERR_CONFIG_INVALID');
    }
  });

  it('migrates each store once: opening the same file again applies nothing and loses nothing', async () => {
    const url = file();
    await writeSamples(await open(url));
    await expectSamples(await open(url)); // a second storage on the same file, the first still open
    const database = await openSqlDatabase({ url });
    opened.push(database);
    const history = database.kysely.withTables<Record<string, { version: number }>>();
    for (const [table, versions] of [
      ['session_store_migrations', [1, 2, 3]],
      ['user_store_migrations', [1, 2]],
      ['key_store_migrations', [1]],
      ['seen_token_store_migrations', [1]],
      ['status_list_migrations', [1]],
      ['stream_store_migrations', [1, 2]],
    ] as const) {
      const rows = await history.selectFrom(table).select('version').orderBy('version').execute();
      expect(rows.map((row) => row.version)).toEqual(versions);
    }
  });
});

describe('SqlSessionStore on a SQLite file shared by processes', () => {
  it('lets exactly one of 100 rotations from 4 processes win, and stores one next token', async () => {
    const { file, remove } = tempFile();
    const store = await SqlSessionStore.open({ url: file });
    try {
      await store.createSession(SAMPLES.session, SAMPLES.token);
      const statuses = await rotateFromChildren(file, SAMPLES.token.hash, { processes: 4, perProcess: 25 });
      expect(statuses.filter((status) => status === 'rotated')).toHaveLength(1);
      expect(statuses.filter((status) => status === 'reused')).toHaveLength(99);
      expect((await store.getSession(SAMPLES.session.id))?.refreshGeneration).toBe(2);
    } finally {
      await store.close();
      await remove();
    }
  });
});
