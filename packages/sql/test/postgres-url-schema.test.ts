import { RevocableError } from '@revocable/core';
import { splitSchemaParameter } from '@revocable/sql';
import { describe, expect, it } from 'vitest';

function refusal(url: string): unknown {
  try {
    splitSchemaParameter(url);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('splitSchemaParameter', () => {
  it('takes the schema out of a PostgreSQL url and keeps every other parameter as written', () => {
    expect(splitSchemaParameter('postgres://postgres@127.0.0.1:5432/test?schema=e2e_1')).toEqual({
      url: 'postgres://postgres@127.0.0.1:5432/test',
      schema: 'e2e_1',
    });
    expect(
      splitSchemaParameter('postgresql://u:p%40ss@db/test?sslmode=disable&schema=_t&options=-c%20x'),
    ).toEqual({ url: 'postgresql://u:p%40ss@db/test?sslmode=disable&options=-c%20x', schema: '_t' });
  });

  it('leaves urls without a schema, and SQLite paths, unchanged', () => {
    expect(splitSchemaParameter('postgres://db/test?sslmode=disable')).toEqual({
      url: 'postgres://db/test?sslmode=disable',
    });
    expect(splitSchemaParameter('./data/revocable.db?schema=x')).toEqual({
      url: './data/revocable.db?schema=x',
    });
  });

  it('accepts 63 characters and refuses 64, capitals, a leading digit, quotes, empty and repeated names', () => {
    expect(splitSchemaParameter(`postgres://db/t?schema=${'a'.repeat(63)}`).schema).toHaveLength(63);
    for (const url of [
      `postgres://db/t?schema=${'a'.repeat(64)}`,
      'postgres://db/t?schema=Tenant',
      'postgres://db/t?schema=1tenant',
      'postgres://db/t?schema=a%22%3Bdrop%20schema%20public',
      'postgres://db/t?schema=',
      'postgres://db/t?schema',
      'postgres://db/t?schema=a&schema=a',
    ]) {
      const error = refusal(url);
      expect(error, url).toBeInstanceOf(RevocableError);
      expect((error as RevocableError).code).toBe('ERR_CONFIG_INVALID');
    }
  });
});
