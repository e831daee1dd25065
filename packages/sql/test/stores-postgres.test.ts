import {
  describeKeyStoreContract,
  describeSeenTokenStoreContract,
  describeSessionStoreContract,
  describeStatusListStoreContract,
  describeStreamStoreContract,
  describeUserStoreContract,
} from '@revocable/core/testing';
import {
  openSqlStorage,
  SqlKeyStore,
  SqlSeenTokenStore,
  SqlSessionStore,
  SqlStatusListStore,
  type SqlStorage,
  SqlStreamStore,
  SqlUserStore,
} from '@revocable/sql';
import pg from 'pg';
import { afterAll, afterEach, expect, it, vi } from 'vitest';
import { dropSchema, freshSchemaName, POSTGRES_URL, postgresDescribe } from './support/postgres.js';
import { expectSamples, SAMPLES, writeSamples } from './support/storage-samples.js';

const describePostgres = await postgresDescribe();
const schema = freshSchemaName('stores');
let tables = 0;
/** A prefix no other test of this file uses: every test gets fresh, empty tables. */
const freshPrefix = (label: string) => `${label}${++tables}_`;

function urlWithSchema(name: string): string {
  const url = new URL(POSTGRES_URL);
  url.searchParams.set('schema', name);
  return url.toString();
}

async function query(text: string, values: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

describePostgres('SQL stores on PostgreSQL', () => {
  const schemas = [schema];
  afterAll(async () => {
    for (const name of schemas) await dropSchema(name);
  });

  describeSessionStoreContract('SqlSessionStore on PostgreSQL', async () => {
    const store = await SqlSessionStore.open({ url: POSTGRES_URL, schema, tablePrefix: freshPrefix('s') });
    return { store, cleanup: () => store.close() };
  });

  describeUserStoreContract('SqlUserStore on PostgreSQL', async () => {
    const store = await SqlUserStore.open({ url: POSTGRES_URL, schema, tablePrefix: freshPrefix('u') });
    return { users: store, clients: store, cleanup: () => store.close() };
  });

  describeStatusListStoreContract('SqlStatusListStore on PostgreSQL', async () => {
    const where = { url: POSTGRES_URL, schema, tablePrefix: freshPrefix('sl') };
    const stores = [await SqlStatusListStore.open(where)];
    return {
      store: stores[0]!,
      another: async () => {
        stores.push(await SqlStatusListStore.open(where)); // its own pool
        return stores.at(-1)!;
      },
      cleanup: async () => {
        for (const store of stores) await store.close();
      },
    };
  });

  describeKeyStoreContract('SqlKeyStore on PostgreSQL', async () => {
    const where = { url: POSTGRES_URL, schema, tablePrefix: freshPrefix('k') };
    const stores = [await SqlKeyStore.open(where)];
    return {
      store: stores[0]!,
      reopen: async () => {
        await stores[0]!.close();
        stores.push(await SqlKeyStore.open(where));
        return stores.at(-1)!;
      },
      another: async () => {
        stores.push(await SqlKeyStore.open(where)); // its own pool
        return stores.at(-1)!;
      },
      cleanup: async () => {
        for (const store of stores) await store.close();
      },
    };
  });

  describeSeenTokenStoreContract('SqlSeenTokenStore on PostgreSQL', async ({ clock }) => {
    const where = { url: POSTGRES_URL, schema, tablePrefix: freshPrefix('seen'), clock };
    const stores = [await SqlSeenTokenStore.open(where)];
    return {
      store: stores[0]!,
      another: async () => {
        stores.push(await SqlSeenTokenStore.open(where)); // its own pool
        return stores.at(-1)!;
      },
      cleanup: async () => {
        for (const store of stores) await store.close();
      },
    };
  });

  describeStreamStoreContract('SqlStreamStore on PostgreSQL', async () => {
    const where = { url: POSTGRES_URL, schema, tablePrefix: freshPrefix('ssf') };
    const stores = [await SqlStreamStore.open(where)];
    return {
      store: stores[0]!,
      another: async () => {
        stores.push(await SqlStreamStore.open(where)); // its own pool
        return stores.at(-1)!;
      },
      reopen: async () => {
        for (const store of stores) await store.close();
        stores.push(await SqlStreamStore.open(where));
        return stores.at(-1)!;
      },
      cleanup: async () => {
        for (const store of stores) await store.close();
      },
    };
  });

  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
  });

  async function open(url: string): Promise<SqlStorage> {
    const storage = await openSqlStorage({ url });
    opened.push(storage);
    return storage;
  }

  it('creates and uses the schema named by ?schema= in the url, and keeps everything on reopening', async () => {
    const named = freshSchemaName('url');
    schemas.push(named);
    const first = await open(urlWithSchema(named));
    await first.ping();
    await writeSamples(first);
    const rows = await query('select table_name from information_schema.tables where table_schema = $1', [
      named,
    ]);
    expect(rows.map((row) => String(row.table_name)).sort()).toEqual([
      'clients',
      'key_store_migrations',
      'refresh_tokens',
      'revocation_events',
      'revocation_log_migrations',
      'revocation_log_state',
      'seen_token_store_migrations',
      'seen_tokens',
      'session_store_migrations',
      'sessions',
      'signing_keys',
      'ssf_cursor',
      'ssf_events',
      'ssf_excluded_subjects',
      'ssf_streams',
      'status_list_entries',
      'status_list_migrations',
      'status_list_state',
      'stream_store_migrations',
      'user_store_migrations',
      'users',
    ]);
    expect(await query(`select username_key from "${named}".users`)).toEqual([{ username_key: 'alice' }]);
    await first.close();
    await expectSamples(await open(urlWithSchema(named)));
  });

  it('keeps two url schemas apart', async () => {
    const [a, b] = [freshSchemaName('a'), freshSchemaName('b')];
    schemas.push(a, b);
    await writeSamples(await open(urlWithSchema(a)));
    const other = await open(urlWithSchema(b));
    expect(await other.users.getUser(SAMPLES.user.id)).toBeUndefined();
    expect(await other.log.lastSeq()).toBe(0);
  });

  it('lets exactly one of 100 rotations from two instances (two pools) win', async () => {
    const where = { url: POSTGRES_URL, schema, tablePrefix: freshPrefix('race') };
    const stores = [await SqlSessionStore.open(where), await SqlSessionStore.open(where)];
    opened.push(...stores);
    await stores[0]!.createSession(SAMPLES.session, SAMPLES.token);
    const now = Date.now();
    const outcomes = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        stores[i % 2]!.rotate(
          SAMPLES.token.hash,
          { hash: `next-${i}`, createdAt: now, expiresAt: now + 60_000, consumedAt: null },
          { now, idleExpiresAt: now + 60_000, device: null, ip: null },
        ),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'rotated')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.status === 'reused')).toHaveLength(99);
    expect((await stores[1]!.getSession(SAMPLES.session.id))?.refreshGeneration).toBe(2);
  });

  it('answers invalid and leaves the token unspent when the session ends while a rotation waits for it', async () => {
    const tablePrefix = freshPrefix('ending');
    const store = await SqlSessionStore.open({ url: POSTGRES_URL, schema, tablePrefix });
    opened.push(store);
    await store.createSession(SAMPLES.session, SAMPLES.token);
    const ender = new pg.Client({ connectionString: POSTGRES_URL });
    await ender.connect();
    try {
      // Another connection ends the session but has not committed: the rotation reads the session as
      // live, spends the token, then waits on the session's row lock.
      await ender.query('begin');
      await ender.query(
        `update "${schema}"."${tablePrefix}sessions" set ended_at = $1, end_reason = 'logout'`,
        [Date.now()],
      );
      const now = Date.now();
      const rotation = store.rotate(
        SAMPLES.token.hash,
        { hash: 'next', createdAt: now, expiresAt: now + 60_000, consumedAt: null },
        { now, idleExpiresAt: now + 60_000, device: null, ip: null },
      );
      // Polled outside `ender`'s transaction, which would see one snapshot of pg_stat_activity.
      await vi.waitFor(
        async () => {
          const waiting = await query(
            "select 1 from pg_stat_activity where wait_event_type = 'Lock' and strpos(query, $1) > 0",
            [`update "${schema}"."${tablePrefix}sessions"`],
          );
          expect(waiting).toHaveLength(1);
        },
        { timeout: 5_000, interval: 20 },
      );
      await ender.query('commit');
      expect(await rotation).toEqual({ status: 'invalid' });
      expect((await store.findRefreshToken(SAMPLES.token.hash))?.consumedAt).toBeNull();
      expect(await store.findRefreshToken('next')).toBeUndefined();
      expect((await store.getSession(SAMPLES.session.id))?.refreshGeneration).toBe(1);
    } finally {
      await ender.end();
    }
  });

  it('answers exists, without an error, to concurrent creations of one username from two instances', async () => {
    const where = { url: POSTGRES_URL, schema, tablePrefix: freshPrefix('dup') };
    const stores = [await SqlUserStore.open(where), await SqlUserStore.open(where)];
    opened.push(...stores);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => stores[i % 2]!.createUser({ ...SAMPLES.user, id: `dup-${i}` })),
    );
    expect(results.filter((result) => result === 'created')).toHaveLength(1);
    expect(results.filter((result) => result === 'exists')).toHaveLength(19);
  });
});
