import { startEdge } from '../start-edge.js';
import { edgeSettings } from './edge-args.js';

/**
 * `revocable edge [options]`: starts the edge and runs it until SIGINT or SIGTERM. Prints one line
 * when it is ready: `Revocable edge is running at <url> …`.
 *
 * @example
 * ```ts
 * await edgeCommand(['--service', 'http://localhost:3000', '--client-id', 'edge', '--upstream', 'http://127.0.0.1:8080'], process.env);
 * ```
 */
export async function edgeCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const { options, logLevel } = edgeSettings(argv, env);
  const edge = await startEdge({
    ...options,
    logger: { level: logLevel },
    onFeedError: (error) =>
      process.stderr.write(`revocable edge: revocation feed: ${(error as Error).message}\n`),
  });
  const modes = [
    options.upstream !== undefined && `proxy to ${options.upstream}`,
    'forward-auth at /_revocable/auth',
    options.introspectionClients !== undefined && 'introspection at /_revocable/introspect',
    options.assertion !== undefined && 'assertion keys at /_revocable/jwks.json',
  ].filter(Boolean);
  process.stdout.write(
    `Revocable edge is running at ${edge.url} (service ${options.service}; ${modes.join(', ')})\n`,
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    edge.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
