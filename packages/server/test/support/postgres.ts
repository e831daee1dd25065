import pg from 'pg';

/** The PostgreSQL the tests use. */
export function postgresUrl(): string {
  return process.env.REVOCABLE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
}

let answer: Promise<boolean> | undefined;

/**
 * Whether PostgreSQL answers. Outside CI a missing server means "skip, and say so"; with CI=true it is
 * an error, because CI must run these suites.
 */
export function postgresAvailable(): Promise<boolean> {
  answer ??= (async () => {
    const client = new pg.Client({ connectionString: postgresUrl(), connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch (err) {
      if (process.env.CI === 'true')
        throw new Error(`PostgreSQL is required in CI but not reachable at ${postgresUrl()}`, { cause: err });
      console.warn(`PostgreSQL not reachable at ${postgresUrl()}: skipping the PostgreSQL suites.`);
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return answer;
}
