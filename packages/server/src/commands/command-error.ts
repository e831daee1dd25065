/**
 * Why a `revocable` command stopped. `ERR_USAGE` (exit code 2): the command line itself is wrong —
 * an unknown command or flag, a missing or extra argument; the usage line follows the message.
 * Every other code exits 1.
 */
export type CommandErrorCode =
  | 'ERR_USAGE'
  | 'ERR_CLIENT_EXISTS'
  | 'ERR_CLIENT_NOT_FOUND'
  | 'ERR_SESSION_NOT_FOUND'
  | 'ERR_KEY_NOT_FOUND'
  | 'ERR_KEY_IN_USE'
  | 'ERR_MIGRATIONS_PENDING'
  | 'ERR_ADMIN_TOKEN_REQUIRED'
  | 'ERR_ADMIN_TOKEN_FILE'
  | 'ERR_SERVICE_UNREACHABLE'
  | 'ERR_SERVICE_REFUSED';

/**
 * A command's refusal, with a stable code and a message that says what to change (never a secret).
 *
 * @example
 * ```ts
 * throw new CommandError('ERR_CLIENT_EXISTS', 'Client billing exists: add --force to replace its secret.');
 * ```
 */
export class CommandError extends Error {
  override readonly name = 'CommandError';

  constructor(
    readonly code: CommandErrorCode,
    message: string,
    /** `ERR_USAGE`: the usage line of the command, printed after the message. */
    readonly usage?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * `ERR_USAGE` for a command line that is wrong, with the usage line to show.
 *
 * @example
 * ```ts
 * throw usageError('Unknown flag --frobnicate.', 'revocable client list [--database D]');
 * ```
 */
export function usageError(message: string, usage: string): CommandError {
  return new CommandError('ERR_USAGE', message, usage);
}

/**
 * `ERR_SERVICE_REFUSED`: a running service answered an admin API call with an error; `serviceCode` is
 * its `error` member (`ERR_SESSION_NOT_FOUND`, …).
 *
 * @example
 * ```ts
 * if (error instanceof ServiceRefusal && error.serviceCode === 'ERR_SESSION_NOT_FOUND') …
 * ```
 */
export class ServiceRefusal extends CommandError {
  constructor(
    readonly status: number,
    readonly serviceCode: string,
    message: string,
  ) {
    super('ERR_SERVICE_REFUSED', message);
  }
}
