import pg from 'pg';
import { describe } from 'vitest';

/** The PostgreSQL the tests use: `REVOCABLE_TEST_PG`, or the local one with trust auth. */
export const POSTGRES_URL = process.env.REVOCABLE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(an unparsable url)';
  }
}

async function whyUnreachable(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * `describe` when PostgreSQL answers at {@link POSTGRES_URL}; otherwise `describe.skip` with a plain
 * message, or, under `CI=true`, an error: CI must not pass by skipping the PostgreSQL suite.
 *
 * @example
 * ```ts
 * const describePostgres = await postgresDescribe();
 * describePostgres('SqlRevocationLog on PostgreSQL', () => { … });
 * ```
 */
export async function postgresDescribe(): Promise<typeof describe | typeof describe.skip> {
  const why = await whyUnreachable(POSTGRES_URL);
  if (why === undefined) return describe;
  const where = redacted(POSTGRES_URL);
  if (process.env.CI === 'true') {
    throw new Error(`PostgreSQL not reachable at ${where} (${why}): CI must run the PostgreSQL suite.`);
  }
  console.warn(`PostgreSQL not reachable at ${where}: skipping the PostgreSQL suite (${why}).`);
  return describe.skip;
}

/**
 * A schema name no other test file or run uses.
 *
 * @example
 * ```ts
 * const schema = freshSchemaName('log'); // revocable_log_12345_lx3k9a
 * ```
 */
export function freshSchemaName(label: string): string {
  return `revocable_${label}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Drops a test schema and everything in it.
 *
 * @example
 * ```ts
 * afterAll(() => dropSchema(schema));
 * ```
 */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema.replaceAll('"', '""')}" cascade`);
  } finally {
    await client.end();
  }
}
