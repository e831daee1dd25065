import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

// Fastify's own defaults, less `removeAdditional` (an unknown member is refused, never dropped).
const COMMON: Options = {
  removeAdditional: false,
  useDefaults: true,
  allErrors: false,
  addUsedSchema: false,
};

/**
 * The service's schema validators. A JSON body is validated as sent, with no type coercion: `["x"]` is
 * not a string and `"true"` is not a boolean. The query string, path parameters and headers are text
 * by nature, so a number or a boolean declared there is read from its text (`?limit=5`).
 *
 * @example
 * ```ts
 * const app = Fastify();
 * app.setValidatorCompiler(schemaValidators());
 * ```
 */
export function schemaValidators(): FastifySchemaCompiler<unknown> {
  const exact = new Ajv({ ...COMMON, coerceTypes: false });
  const fromText = new Ajv({ ...COMMON, coerceTypes: true });
  return ({ schema, httpPart }) => (httpPart === 'body' ? exact : fromText).compile(schema as object);
}
