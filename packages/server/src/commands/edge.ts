import { EDGE_USAGE, EdgeUsageError, edgeCommand } from '@revocable/edge';
import { usageError } from './command-error.js';

/**
 * `revocable edge [options]`: the edge from `@revocable/edge` (reverse proxy, forward-auth and local
 * introspection next to any backend); its wrong command lines get the CLI's usage answer.
 *
 * @example
 * ```ts
 * await edge(['--service', 'http://localhost:3000', '--client-id', 'edge', '--upstream', 'http://127.0.0.1:8080']);
 * ```
 */
export async function edge(argv: readonly string[]): Promise<void> {
  try {
    await edgeCommand(argv, process.env);
  } catch (err) {
    if (err instanceof EdgeUsageError) throw usageError(err.message, EDGE_USAGE);
    throw err;
  }
}
