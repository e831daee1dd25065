import { OPTIONS, optionSpec } from '../config-options.js';
import { assertTrustProxyHasValue } from '../config-values.js';
import { usageError } from './command-error.js';

/** What one command accepts besides the service's options (`--database`, `--issuer`, …). */
export interface CommandShape {
  /** Its usage line, shown when the command line is wrong. */
  readonly usage: string;
  /** Names of its positional arguments, in order; all required. */
  readonly positionals?: readonly string[];
  /** Its own flags: `value` takes the next argument (or `--flag=value`), `switch` takes none. */
  readonly flags?: Readonly<Record<string, 'value' | 'switch'>>;
  /** `false`: the service's options are refused too (a command that reads no configuration). */
  readonly serviceOptions?: boolean;
}

/** A command line read against its {@link CommandShape}. */
export interface ParsedCommand {
  /** The positional arguments, by the names of `CommandShape.positionals`. */
  readonly args: Readonly<Record<string, string>>;
  /** The command's own flags that were given: a value, or `true` for a switch. */
  readonly flags: Readonly<Record<string, string | true>>;
  /** The service's options, as `loadConfig` takes them. */
  readonly serviceArgs: readonly string[];
}

const SERVICE_FLAGS = new Map(
  OPTIONS.map((o) => [o.flag, o.kind === 'switch' ? 'switch' : 'value'] as const),
);

/**
 * Reads a command's arguments: its own flags, the service's options and its positionals. Anything
 * else — an unknown flag, a flag without its value, a missing or extra argument — is `ERR_USAGE`
 * naming it, with the command's usage line (never Node's parser message).
 *
 * @example
 * ```ts
 * const { args, flags, serviceArgs } = parseCommand(['billing', '--force', '--database', 'x.db'], {
 *   usage: USAGE.clientAdd,
 *   positionals: ['id'],
 *   flags: { force: 'switch', secret: 'value' },
 * });
 * const config = loadConfig(serviceArgs, process.env);
 * ```
 */
export function parseCommand(argv: readonly string[], shape: CommandShape): ParsedCommand {
  // The old boolean form of --trust-proxy keeps its own, more helpful, refusal.
  if (shape.serviceOptions !== false) assertTrustProxyHasValue(optionSpec('trust-proxy'), argv);
  const own = shape.flags ?? {};
  const positionals: string[] = [];
  const flags: Record<string, string | true> = {};
  const serviceArgs: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!token.startsWith('-') || token === '-') {
      positionals.push(token);
      continue;
    }
    const equals = token.indexOf('=');
    const name = token.startsWith('--') ? token.slice(2, equals < 0 ? undefined : equals) : '';
    const kind = Object.hasOwn(own, name)
      ? own[name]
      : shape.serviceOptions !== false
        ? SERVICE_FLAGS.get(name)
        : undefined;
    if (kind === undefined) {
      throw usageError(
        `Unknown flag ${printable(token.slice(0, equals < 0 ? undefined : equals))}.`,
        shape.usage,
      );
    }
    let value: string | true = true;
    if (kind === 'switch' && equals >= 0) throw usageError(`--${name} takes no value.`, shape.usage);
    if (kind === 'value') {
      const next = equals >= 0 ? token.slice(equals + 1) : argv[++i];
      if (next === undefined || (equals < 0 && next.startsWith('--')))
        throw usageError(`--${name} needs a value.`, shape.usage);
      value = next;
    }
    if (Object.hasOwn(own, name)) flags[name] = value;
    else serviceArgs.push(`--${name}`, ...(value === true ? [] : [value]));
  }
  const names = shape.positionals ?? [];
  if (positionals.length < names.length)
    throw usageError(`Missing <${names[positionals.length]}>.`, shape.usage);
  // The extra argument is not echoed: it may be a secret typed without its flag.
  if (positionals.length > names.length)
    throw usageError(`${positionals.length - names.length} argument(s) too many.`, shape.usage);
  return {
    args: Object.fromEntries(names.map((n, i) => [n, positionals[i]!])),
    flags,
    serviceArgs,
  };
}

/** An argument as a message may show it: short, and without control characters. */
export function printable(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
  return JSON.stringify(clean.length > 40 ? `${clean.slice(0, 40)}…` : clean);
}
