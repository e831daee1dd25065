import { Ajv, type ValidateFunction } from 'ajv';

// The service's OpenAPI document as a checker of real answers: `Http.call` (service.ts) hands every
// answer it receives to `Contract.check`, so an answer that drifts from /openapi.json (an undocumented
// status, a member too many or too few, a time in another form) fails the test that received it.

/** An answer as received: what is checked against the document. */
export interface ReceivedAnswer {
  readonly method: string;
  /** The request path, query string included: only the path is matched. */
  readonly path: string;
  readonly status: number;
  /** The Content-Type header, or null. */
  readonly contentType: string | null;
  readonly text: string;
}

interface MediaType {
  schema?: object;
}
interface ResponseObject {
  content?: Record<string, MediaType>;
}
interface Operation {
  responses: Record<string, ResponseObject>;
  [extension: `x-${string}`]: unknown;
}
/** The parts of an OpenAPI 3.0 document the checker reads. */
export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
}

/** RFC 3339 in UTC with milliseconds, as `Date.prototype.toISOString` writes it (the wire's only form). */
const RFC3339_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Whether a value is a time as the API writes it: UTC, milliseconds, a day the month has.
 *
 * @example
 * ```ts
 * isWireTime('2025-01-31T12:00:00.000Z'); // true
 * isWireTime('2025-02-30T12:00:00.000Z'); // false
 * ```
 */
export function isWireTime(value: unknown): boolean {
  return (
    typeof value === 'string' &&
    RFC3339_UTC_MS.test(value) &&
    !Number.isNaN(Date.parse(value)) &&
    new Date(Date.parse(value)).toISOString() === value
  );
}

const COMPONENT_PREFIX = '#/components/schemas/';
const DOCUMENT_ID = 'openapi.json';

/** A schema of the document with its component references pointing into the schema registered with ajv. */
function resolvable(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(resolvable);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) =>
      key === '$ref' && typeof value === 'string' && value.startsWith(COMPONENT_PREFIX)
        ? [key, `${DOCUMENT_ID}#/definitions/${value.slice(COMPONENT_PREFIX.length)}`]
        : [key, resolvable(value)],
    ),
  );
}

const mediaType = (contentType: string | null) => (contentType ?? '').split(';')[0]!.trim().toLowerCase();
const isJson = (type: string) => type === 'application/json' || type.endsWith('+json');

/**
 * The service's /openapi.json, compiled: `check` throws for an answer the document does not describe.
 *
 * @example
 * ```ts
 * const contract = await Contract.of(service.url);
 * contract.check({ method: 'GET', path: '/healthz', status: 200, contentType: 'application/json', text });
 * ```
 */
export class Contract {
  static readonly #byBase = new Map<string, Promise<Contract>>();
  readonly #ajv = new Ajv({ strict: true, allErrors: true });
  readonly #validators = new Map<string, ValidateFunction>();
  readonly #templates: { template: string; pattern: RegExp }[];

  constructor(readonly document: OpenApiDocument) {
    this.#ajv.addFormat('date-time', { type: 'string', validate: isWireTime });
    this.#ajv.addFormat('uri', { type: 'string', validate: (text: string) => URL.canParse(text) });
    this.#ajv.addSchema({ $id: DOCUMENT_ID, definitions: resolvable(document.components.schemas) });
    this.#templates = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}/]+\}/g, '[^/]+')}$`),
    }));
  }

  /** The document of the service at `base`, read once per service (the first answer received). */
  static of(base: string): Promise<Contract> {
    let contract = Contract.#byBase.get(base);
    if (contract === undefined) {
      contract = Contract.#read(base);
      Contract.#byBase.set(base, contract);
      contract.catch(() => Contract.#byBase.delete(base));
    }
    return contract;
  }

  static async #read(base: string): Promise<Contract> {
    const response = await fetch(`${base}/openapi.json`);
    const document = (await response.json().catch(() => undefined)) as OpenApiDocument | undefined;
    if (response.status !== 200 || typeof document?.openapi !== 'string')
      throw new Error(`${base}/openapi.json answered ${response.status}, not an OpenAPI document`);
    return new Contract(document);
  }

  /** The documented path template and operation a request reaches, if any. */
  operation(method: string, path: string): { template: string; operation: Operation } | undefined {
    const bare = path.split(/[?#]/)[0]!;
    let decoded = bare;
    try {
      decoded = decodeURIComponent(bare);
    } catch {
      /* matched as sent */
    }
    const verb = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
    for (const candidate of new Set([bare, decoded])) {
      const found = this.#templates.find(({ pattern }) => pattern.test(candidate));
      const operation = found && this.document.paths[found.template]?.[verb];
      if (found && operation) return { template: found.template, operation };
    }
    return undefined;
  }

  /** Validates a value against a schema of the document (`#/components/schemas/…` references resolve). */
  schemaProblems(key: string, schema: object, value: unknown): string[] {
    let validate = this.#validators.get(key);
    if (validate === undefined) {
      validate = this.#ajv.compile(resolvable(schema) as object);
      this.#validators.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (error) =>
        `${error.instancePath || '(the body)'} ${error.message ?? 'is not valid'}${paramsOf(error.params)}`,
    );
  }

  /** Every way an answer departs from the document; `[]` when it conforms. */
  problems(answer: ReceivedAnswer): string[] {
    const found = this.operation(answer.method, answer.path);
    const type = mediaType(answer.contentType);
    if (found === undefined) {
      // Not a documented operation (an unknown route, a hidden page, /openapi.json): a JSON error
      // answer is still the common Error body.
      if (answer.status < 400 || !isJson(type)) return [];
      return this.schemaProblems('Error', { $ref: `${COMPONENT_PREFIX}Error` }, parsed(answer.text));
    }
    const response = found.operation.responses[String(answer.status)];
    if (response === undefined) {
      const documented = Object.keys(found.operation.responses).join(', ');
      return [`status ${answer.status} is not documented (documented: ${documented})`];
    }
    if (answer.method.toUpperCase() === 'HEAD') return [];
    const content = response.content ?? {};
    if (Object.keys(content).length === 0)
      return answer.text === '' ? [] : [`a body was sent where none is documented (${type || 'no type'})`];
    const mediaKey = Object.keys(content).find((key) => mediaType(key) === type);
    if (mediaKey === undefined)
      return [
        `content type ${type || '(none)'} is not documented (documented: ${Object.keys(content).join(', ')})`,
      ];
    const schema = content[mediaKey]!.schema;
    if (!isJson(type) || schema === undefined) return [];
    const key = `${found.template} ${answer.method.toLowerCase()} ${answer.status} ${mediaKey}`;
    return this.schemaProblems(key, schema, parsed(answer.text));
  }

  /** Throws, naming the route, the status and each problem, unless the answer is as documented. */
  check(answer: ReceivedAnswer): void {
    const problems = this.problems(answer);
    if (problems.length === 0) return;
    const template = this.operation(answer.method, answer.path)?.template ?? '(no documented operation)';
    throw new Error(
      `${answer.method} ${answer.path.split('?')[0]} answered ${answer.status}, which /openapi.json ` +
        `(${template}) does not describe:\n  ${problems.join('\n  ')}`,
    );
  }

  /** Every way the data of one SSE event departs from the schema the stream documents for its type. */
  sseProblems(path: string, event: string, data: string): string[] {
    const found = this.operation('GET', path);
    const events = found?.operation['x-sse-events'] as Record<string, { data?: object }> | undefined;
    const schema = events?.[event]?.data;
    if (schema === undefined) return [`event type ${event} is not documented for GET ${path}`];
    return this.schemaProblems(`sse ${path} ${event}`, schema, parsed(data));
  }
}

function parsed(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text;
  }
}

function paramsOf(params: Record<string, unknown>): string {
  const shown = Object.entries(params).filter(([name]) =>
    ['additionalProperty', 'missingProperty', 'format', 'type'].includes(name),
  );
  return shown.length === 0
    ? ''
    : ` (${shown.map(([name, value]) => `${name}: ${JSON.stringify(value)}`).join(', ')})`;
}
