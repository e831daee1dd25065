// The server side of the `sessions` suite, run as its own process by bench/sessions.ts (startChild):
// `revocable serve` (the `serve` of @revocable/server) on one database, on a loopback port, with test
// settings (no logging). argv[2] is the `--database` value.
import { loadConfig, serve } from '@revocable/server';
import { cpuReading, serveParent } from './child.js';

/** What the child answers when ready. */
export interface ServiceReady {
  readonly url: string;
}

await serveParent<ServiceReady>(async () => {
  const database = process.argv[2];
  if (database === undefined) throw new Error('usage: sessions-service <database>');
  // An empty environment: no REVOCABLE_* variable of the machine leaks into the measured service.
  const config = loadConfig(
    ['--port', '0', '--host', '127.0.0.1', '--database', database, '--log-level', 'silent'],
    {},
  );
  const service = await serve(config, { logger: false });
  return {
    ready: { url: service.url },
    handlers: {
      cpu: cpuReading,
      close: () => service.close(),
    },
  };
});
