import { RevocableError } from '@revocable/core';
import { checkStoreNames } from './store-tables.js';

/** What a `schema` query parameter may name: a plain, lower-case PostgreSQL identifier. */
const PLAIN_SCHEMA = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Takes the `schema` query parameter out of a PostgreSQL url (`postgres://…/db?schema=e2e_1`), so a
 * service that receives only a database url can still be pointed at its own schema. Answers the url
 * pg should get (every other parameter kept as written) and the schema, if one was named. Other urls
 * come back unchanged. Throws `ERR_CONFIG_INVALID` for a repeated parameter or a name that is not
 * `^[a-z_][a-z0-9_]{0,62}$`.
 *
 * @example
 * ```ts
 * splitSchemaParameter('postgres://postgres@127.0.0.1:5432/test?schema=e2e_1&sslmode=disable');
 * // { url: 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable', schema: 'e2e_1' }
 * ```
 */
export function splitSchemaParameter(url: string): { url: string; schema?: string } {
  if (!/^postgres(ql)?:\/\//i.test(url)) return { url };
  const queryAt = url.indexOf('?');
  if (queryAt < 0) return { url };
  const hashAt = url.indexOf('#', queryAt);
  const query = url.slice(queryAt + 1, hashAt < 0 ? undefined : hashAt);
  const fragment = hashAt < 0 ? '' : url.slice(hashAt);
  const kept: string[] = [];
  const schemas: string[] = [];
  for (const pair of query.split('&')) {
    const [name = '', value = ''] = new URLSearchParams(pair).entries().next().value ?? [];
    if (name === 'schema') schemas.push(value);
    else if (pair !== '') kept.push(pair);
  }
  if (schemas.length === 0) return { url };
  if (schemas.length > 1) {
    throw new RevocableError('ERR_CONFIG_INVALID', 'The database url names a schema more than once.');
  }
  const schema = schemas[0]!;
  if (!PLAIN_SCHEMA.test(schema)) {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      'The schema in the database url must be 1 to 63 lower-case letters, digits or underscores, not starting with a digit.',
    );
  }
  const rest = kept.length === 0 ? '' : `?${kept.join('&')}`;
  return { url: url.slice(0, queryAt) + rest + fragment, schema };
}

/**
 * Where a store's tables go, from a database url (with an optional `?schema=`) and the `schema` and
 * `tablePrefix` options: the url without the parameter, the one schema named (the two places must
 * agree), and the checked prefix. Throws `ERR_CONFIG_INVALID`.
 *
 * @example
 * ```ts
 * const { url, schema, tablePrefix } = resolveStoreLocation({ url: 'postgres://db/app?schema=auth' });
 * ```
 */
export function resolveStoreLocation(options: {
  readonly url: string;
  readonly schema?: string | undefined;
  readonly tablePrefix?: string | undefined;
}): { url: string; schema: string | undefined; tablePrefix: string } {
  const { url, schema: urlSchema } = splitSchemaParameter(options.url);
  if (urlSchema !== undefined && options.schema !== undefined && urlSchema !== options.schema) {
    throw new RevocableError(
      'ERR_CONFIG_INVALID',
      'The database url names a schema other than the schema option: give one of them.',
    );
  }
  const schema = options.schema ?? urlSchema;
  const tablePrefix = options.tablePrefix ?? '';
  checkStoreNames(tablePrefix, schema);
  return { url, schema, tablePrefix };
}
