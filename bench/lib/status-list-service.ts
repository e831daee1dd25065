// The server side of the `status-list` suite's publication figures, run as its own process by
// bench/status-list.ts (startChild): `revocable serve --status-list` with its default interval and ttl
// on one database (argv[2]) and a loopback port named in its issuer, so the tokens' status list URI
// is fetchable. `preload` fills the list with live entries, a share of them revoked by token rules.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { loadConfig, serve } from '@revocable/server';
import { serveParent } from './child.js';

/** What the child answers when ready. */
export interface StatusListServiceReady {
  readonly url: string;
  readonly intervalMs: number;
  readonly ttlSec: number;
  readonly size: number;
}

/** `preload`'s argument: how many live entries, and the share of them revoked. */
export interface Preload {
  readonly entries: number;
  readonly revokedShare: number;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

await serveParent<StatusListServiceReady>(async () => {
  const database = process.argv[2];
  if (database === undefined) throw new Error('usage: status-list-service <database>');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // An empty environment: no REVOCABLE_* variable of the machine leaks into the measured service.
  const config = loadConfig(
    ['--port', String(port), '--host', '127.0.0.1', '--issuer', url, '--database', database].concat([
      '--log-level',
      'silent',
      '--status-list',
    ]),
    {},
  );
  const service = await serve(config, { logger: false });
  const { runtime } = service;
  const statusList = runtime.statusList!;
  return {
    ready: {
      url,
      intervalMs: config.statusList.intervalMs,
      ttlSec: config.statusList.ttlSec,
      size: config.statusList.size,
    },
    handlers: {
      /** Live entries at random free indexes, as the service's issuer records them; resolves once published. */
      async preload(arg: unknown) {
        const { entries, revokedShare } = arg as Preload;
        const now = Date.now();
        const expiresAt = now + config.accessTokenTtlSec * 1000;
        const kid = runtime.keys.signingKey().kid;
        const rules = [];
        for (let i = 0; i < entries; i++) {
          const idx = statusList.publisher.entries.freeIndex();
          if (idx === undefined) throw new Error('the list is full');
          const jti = randomBytes(16).toString('base64url');
          const recorded = await runtime.storage.statusLists.claim(
            {
              list: statusList.listId,
              idx,
              iss: config.issuer,
              sub: `preloaded-${i}`,
              sid: `preloaded-${i}`,
              kid,
              jti,
              issuedAt: now,
              expiresAt,
              freeAt: expiresAt + 120_000,
            },
            Date.now(),
          );
          if (recorded !== undefined) statusList.publisher.note(recorded);
          if (i < entries * revokedShare) {
            rules.push({
              rule: { kind: 'token' as const, iss: config.issuer, tokenId: jti, expiresAt },
              reason: 'admin' as const,
              actor: 'bench',
            });
          }
        }
        for (let i = 0; i < rules.length; i += 500) await runtime.storage.log.append(rules.slice(i, i + 500));
        const deadline = Date.now() + 120_000;
        while (statusList.publisher.stats().revoked < rules.length) {
          if (Date.now() > deadline) throw new Error('the preloaded revocations were not published in time');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        return statusList.publisher.stats();
      },
      close: () => service.close(),
    },
  };
});
