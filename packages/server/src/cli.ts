import { isRevocableError } from '@revocable/core';
import { clientAdd, clientList, clientRemove } from './commands/client.js';
import { CommandError, usageError } from './commands/command-error.js';
import { edge } from './commands/edge.js';
import { keysList, keysRewrap, keysRotate } from './commands/keys.js';
import { migrate } from './commands/migrate.js';
import { revoke } from './commands/revoke.js';
import { serveCommand } from './commands/serve.js';
import { sessionsList } from './commands/sessions.js';
import { usageBlock } from './commands/usage.js';
import { packageVersion } from './commands/version.js';
import { helpText } from './config.js';

type Command = (argv: readonly string[]) => Promise<void>;

/** Every command, by its words; a group's first word alone is a usage error naming its subcommands. */
const COMMANDS: Readonly<Record<string, Command | Readonly<Record<string, Command>>>> = {
  serve: serveCommand,
  migrate,
  client: { list: clientList, add: clientAdd, remove: clientRemove },
  keys: { list: keysList, rotate: keysRotate, rewrap: keysRewrap },
  revoke,
  sessions: { list: sessionsList },
  edge,
};

/** The command `argv` names and the arguments it gets, or `ERR_USAGE`. */
function commandOf(argv: readonly string[]): { run: Command; rest: readonly string[] } {
  const [word, ...rest] = argv;
  const entry = word !== undefined && Object.hasOwn(COMMANDS, word) ? COMMANDS[word] : undefined;
  if (entry === undefined)
    throw usageError(`Unknown command ${JSON.stringify(String(word).slice(0, 40))}.`, usageBlock());
  if (typeof entry === 'function') return { run: entry, rest };
  const [sub, ...args] = rest;
  const run = sub !== undefined && Object.hasOwn(entry, sub) ? entry[sub] : undefined;
  if (run === undefined) {
    const known = Object.keys(entry).join(', ');
    throw usageError(
      sub === undefined
        ? `revocable ${word} needs a subcommand: ${known}.`
        : `Unknown command "${word} ${sub.slice(0, 40)}": ${word} takes ${known}.`,
      usageBlock(),
    );
  }
  return { run, rest: args };
}

/** What a failure prints: the message (with the usage line for `ERR_USAGE`), and the exit code. */
function failure(err: unknown): { text: string; exitCode: number } {
  if (err instanceof CommandError && err.code === 'ERR_USAGE')
    return {
      text: `revocable: ${err.message}\n${err.usage?.startsWith('Usage:') ? err.usage : `Usage: ${err.usage}`}\nRun \`revocable --help\` for every command and option.\n`,
      exitCode: 2,
    };
  const code = err instanceof CommandError || isRevocableError(err) ? ` [${err.code}]` : '';
  return { text: `revocable: ${(err as Error).message}${code}\n`, exitCode: 1 };
}

/**
 * The `revocable` command line: `serve`, `migrate`, `client`, `keys`, `revoke`, `sessions`,
 * `--version`, `--help`. A wrong command line prints the usage and sets exit code 2; a command that
 * fails prints why (and its code) and sets exit code 1.
 *
 * @example
 * ```ts
 * await main(['serve', '--port', '8080']);
 * ```
 */
export async function main(argv: string[]): Promise<void> {
  const [first] = argv;
  if (
    first === undefined ||
    first === '--help' ||
    first === '-h' ||
    first === 'help' ||
    argv.includes('--help')
  ) {
    process.stdout.write(helpText());
    return;
  }
  if (first === '--version' || first === 'version') {
    process.stdout.write(`${packageVersion()}\n`);
    return;
  }
  try {
    const { run, rest } = commandOf(argv);
    await run(rest);
  } catch (err) {
    const { text, exitCode } = failure(err);
    process.stderr.write(text);
    process.exitCode = exitCode;
  }
}
