import { parseArgs } from 'node:util';
import { RevocableError } from '@revocable/core';
import { EdgeUsageError } from '../errors.js';
import { type PathRule, pathRule } from '../path-rules.js';
import type { EdgeOptions } from '../start-edge.js';
import { readTrustedIssuers } from '../trusted-issuers.js';

/** The usage line of `revocable edge`. */
export const EDGE_USAGE =
  'revocable edge --service U --client-id ID [--upstream URL] [--port P] [--public R]… [--scope R=S,S]… [--assertion header|authorization] [--introspection-client ID] [--config FILE] [options]';

const FLAGS = {
  service: { type: 'string' },
  'client-id': { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  upstream: { type: 'string' },
  public: { type: 'string', multiple: true },
  scope: { type: 'string', multiple: true },
  assertion: { type: 'string' },
  'assertion-audience': { type: 'string' },
  'assertion-issuer': { type: 'string' },
  'assertion-lifetime': { type: 'string' },
  'introspection-client': { type: 'string' },
  'max-staleness-ms': { type: 'string' },
  'upstream-timeout-ms': { type: 'string' },
  redis: { type: 'string' },
  'redis-key-prefix': { type: 'string' },
  realm: { type: 'string' },
  websocket: { type: 'boolean' },
  config: { type: 'string' },
  'log-level': { type: 'string' },
} as const;

/** `revocable edge`'s settings, read from its command line and environment. */
export interface EdgeCommandSettings {
  readonly options: EdgeOptions;
  /** pino level of the request log: `info` (default), `warn`, `error`, `silent`. */
  readonly logLevel: string;
}

function config(message: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', message);
}

function whole(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw config(`--${name} must be a whole number from ${min} to ${max}.`);
  return n;
}

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw config(`--${name} must be an http(s) URL, e.g. http://127.0.0.1:8080.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw config(`--${name} must be an http(s) URL, e.g. http://127.0.0.1:8080.`);
  return value.replace(/\/+$/, '');
}

/** `--scope '/admin/*=admin,audit'`: the rule, and the scopes after the last `=`. */
function scopeRule(text: string): PathRule {
  const equals = text.lastIndexOf('=');
  if (equals < 0)
    throw config(
      `--scope ${JSON.stringify(text.slice(0, 80))} needs =scope[,scope]: e.g. --scope '/admin/*=admin'.`,
    );
  const scopes = text
    .slice(equals + 1)
    .split(',')
    .filter(Boolean);
  if (scopes.length === 0) throw config(`--scope ${JSON.stringify(text.slice(0, 80))} names no scope.`);
  return pathRule(text.slice(0, equals), { kind: 'token', scopes });
}

function required(value: string | undefined, what: string): string {
  if (value === undefined || value.length === 0) throw config(what);
  return value;
}

/**
 * Reads `revocable edge`'s arguments and environment (`REVOCABLE_CLIENT_SECRET`, the edge's client
 * secret at the service; `REVOCABLE_INTROSPECTION_SECRET`, the introspection client's). An unknown
 * flag or a flag without its value is an {@link EdgeUsageError}; a value that is wrong is
 * `ERR_CONFIG_INVALID` saying what to change. Rules keep their order: `--public` ones first, then
 * `--scope` ones, first match wins.
 *
 * @example
 * ```ts
 * const { options } = edgeSettings(['--service', 'http://localhost:3000', '--client-id', 'edge'], process.env);
 * ```
 */
export function edgeSettings(argv: readonly string[], env: NodeJS.ProcessEnv): EdgeCommandSettings {
  let values: ReturnType<typeof parseArgs<{ options: typeof FLAGS; strict: true }>>['values'];
  try {
    ({ values } = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    // Node's message names the flag; it never holds a value of ours.
    throw new EdgeUsageError((err as Error).message.split('\n')[0] ?? 'Bad arguments.');
  }
  const service = httpUrl(
    'service',
    required(
      values.service ?? env['REVOCABLE_SERVICE_URL'],
      '--service is missing: the Revocable service URL (its --issuer).',
    ),
  );
  const clientId = required(
    values['client-id'] ?? env['REVOCABLE_CLIENT_ID'],
    "--client-id is missing: the edge's client at the service (revocable client add edge).",
  );
  const clientSecret = required(
    env['REVOCABLE_CLIENT_SECRET'],
    `REVOCABLE_CLIENT_SECRET is not set: the secret of client ${JSON.stringify(clientId.slice(0, 64))} at the service.`,
  );
  const upstream = values.upstream === undefined ? undefined : httpUrl('upstream', values.upstream);
  const rules = [
    ...(values.public ?? []).map((text) => pathRule(text, { kind: 'public' })),
    ...(values.scope ?? []).map(scopeRule),
  ];
  const placement = values.assertion;
  if (placement !== undefined && placement !== 'header' && placement !== 'authorization')
    throw config(
      '--assertion must be header (X-Revocable-Assertion) or authorization (replaces the bearer token).',
    );
  const introspectionId = values['introspection-client'];
  const introspectionSecret = env['REVOCABLE_INTROSPECTION_SECRET'];
  if (introspectionId !== undefined && (introspectionSecret === undefined || introspectionSecret.length < 16))
    throw config(
      "REVOCABLE_INTROSPECTION_SECRET must hold the introspection client's secret (16 characters or more).",
    );
  const lifetimeSec = whole('assertion-lifetime', values['assertion-lifetime'], 1, 3600);
  const port = whole('port', values.port, 0, 65535);
  const maxStalenessMs = whole('max-staleness-ms', values['max-staleness-ms'], 100, 3_600_000);
  const upstreamTimeoutMs = whole('upstream-timeout-ms', values['upstream-timeout-ms'], 100, 3_600_000);
  const options: EdgeOptions = {
    service,
    clientId,
    clientSecret,
    rules,
    ...(values.host !== undefined && { host: values.host }),
    ...(port !== undefined && { port }),
    ...(upstream !== undefined && { upstream }),
    ...(placement !== undefined && {
      assertion: {
        in: placement,
        audience: values['assertion-audience'] ?? upstream ?? 'revocable-edge',
        ...(values['assertion-issuer'] !== undefined && {
          issuer: httpUrl('assertion-issuer', values['assertion-issuer']),
        }),
        ...(lifetimeSec !== undefined && { lifetimeSec }),
      },
    }),
    ...(introspectionId !== undefined && {
      introspectionClients: new Map([[introspectionId, introspectionSecret!]]),
    }),
    ...(maxStalenessMs !== undefined && { maxStalenessMs }),
    ...(upstreamTimeoutMs !== undefined && { upstreamTimeoutMs }),
    ...(values.redis !== undefined && {
      redis: {
        url: values.redis,
        ...(values['redis-key-prefix'] !== undefined && { keyPrefix: values['redis-key-prefix'] }),
      },
    }),
    ...(values.realm !== undefined && { realm: values.realm }),
    ...(values.websocket === true && { websocket: true }),
    ...(values.config !== undefined && { trustedIssuers: readTrustedIssuers(values.config, service) }),
  };
  return { options, logLevel: values['log-level'] ?? 'info' };
}
