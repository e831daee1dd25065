// An Express API protected by Revocable: verified claims on req.auth, scopes, and a logout that ends
// the session at once. Run: npx tsx --conditions=source examples/express-api/server.ts

import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import {
  AccessTokenIssuer,
  KeyRing,
  LogFeedSource,
  MemoryRevocationLog,
  Replica,
  ReplicaFollower,
  Revoker,
  Verifier,
} from '@revocable/core';
import { requireAuth, revoke } from '@revocable/core/express';
import express from 'express';

const ISSUER = 'https://auth.example';
const AUDIENCE = 'orders-api';

/** A running example API. */
export interface ExpressApi {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the API on `port` (0: any free port) and resolves once it listens. */
export async function startExpressApi(port = 0): Promise<ExpressApi> {
  // In production the issuer (the Revocable service, or your identity provider) signs tokens and the
  // revocation log lives in SQL or Redis; here everything is in memory, in one process.
  const keys = await KeyRing.open({ alg: 'EdDSA' });
  const issuer = new AccessTokenIssuer({ keys, issuer: ISSUER, audience: AUDIENCE });
  const log = new MemoryRevocationLog();
  const replica = new Replica();
  const follower = new ReplicaFollower(replica, new LogFeedSource(log));
  await follower.start();
  const revoker = new Revoker(log);
  const verifier = new Verifier({ keys, issuer: ISSUER, audience: AUDIENCE, revocation: replica });

  const app = express();
  app.use(express.json());
  const signedIn = requireAuth({ verifier, realm: AUDIENCE });

  // Demo only, no login: mints a token for any user name. A real app gets tokens from its issuer.
  app.post('/demo/token', (req, res) => {
    const sub = typeof req.body?.sub === 'string' && req.body.sub !== '' ? req.body.sub : 'demo-user';
    const scope = typeof req.body?.scope === 'string' ? req.body.scope : 'orders:read';
    const { token, expiresIn } = issuer.issue({ sub, sid: randomUUID(), scope });
    res.json({ access_token: token, token_type: 'Bearer', expires_in: expiresIn });
  });

  app.get('/me', signedIn, (req, res) => {
    res.json(req.auth!.claims);
  });

  app.get('/orders', requireAuth({ verifier, realm: AUDIENCE, scopes: ['orders:read'] }), (req, res) => {
    res.json([{ id: 1, owner: req.auth!.claims.sub, item: 'tea' }]);
  });

  // The app's own logout: this session's tokens are rejected from now on, even copies taken before.
  app.post('/logout', signedIn, async (req, res) => {
    await revoke(revoker, req.auth);
    res.sendStatus(204);
  });

  // Log out everywhere: every token of this user issued until now.
  app.post('/logout-all', signedIn, async (req, res) => {
    await revoke(revoker, req.auth, { scope: 'subject' });
    res.sendStatus(204);
  });

  const server: Server = app.listen(port, '127.0.0.1');
  await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      follower.stop();
      replica.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const api = await startExpressApi(Number(process.env['PORT'] ?? 3000));
  console.log(`Express API listening on ${api.url}`);
}
