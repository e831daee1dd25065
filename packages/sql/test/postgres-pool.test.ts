import pg from 'pg';
import { expect, it } from 'vitest';
import { boundedPostgresPool } from '../src/postgres-pool.js';
import { POSTGRES_URL, postgresDescribe } from './support/postgres.js';

const describePostgres = await postgresDescribe();

describePostgres('the bounded PostgreSQL pool', () => {
  it('survives a checked-out connection dying between two statements: no uncaught error, the next query fails, a new one works', async () => {
    const pool = boundedPostgresPool(POSTGRES_URL, 2, {
      connectTimeoutMs: 5_000,
      statementTimeoutMs: 5_000,
      idleInTransactionTimeoutMs: 10_000,
    });
    const admin = new pg.Client({ connectionString: POSTGRES_URL });
    await admin.connect();
    const uncaught: unknown[] = [];
    const record = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', record);
    try {
      // Checked out, as inside a transaction: the pool's own idle error listener is not attached.
      const client = await pool.connect();
      const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid', []);
      await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(uncaught).toEqual([]);
      await expect(client.query('select 1', [])).rejects.toBeDefined();
      client.release();
      const fresh = await pool.connect();
      expect((await fresh.query<{ one: number }>('select 1 as one', [])).rows[0]!.one).toBe(1);
      fresh.release();
    } finally {
      process.off('uncaughtException', record);
      await admin.end();
      await pool.end();
    }
  });
});
