// An Express API protected by a running Revocable service, in one call: `connectToService` reads the
// service's metadata, keys and revocation feed; `requireAuth(connection)` guards the routes, and the
// API's own logout ends the session at the service.
//
// Start the service (`npm start`, port 3000), register this API once (`npx revocable client add
// orders-api` prints its secret), then:
//   REVOCABLE_CLIENT_SECRET=<secret> npx tsx --conditions=source examples/connected-api/api.ts

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { connectToService, type ServiceConnection } from '@revocable/core';
import { requireAuth, revoke } from '@revocable/core/express';
import express from 'express';

/** Where the API finds the service, and who it is there. */
export interface ConnectedApiOptions {
  /** The service's URL, its `--issuer`. */
  readonly service: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The API's port (on 127.0.0.1); 0: any free one. Never the service's 3000. */
  readonly port: number;
}

/** A running API. */
export interface ConnectedApi {
  readonly url: string;
  readonly connection: ServiceConnection;
  close(): Promise<void>;
}

/** Connects to the service, then starts the API; resolves once it listens. */
export async function startConnectedApi(options: ConnectedApiOptions): Promise<ConnectedApi> {
  const connection = await connectToService(options.service, {
    clientId: options.clientId,
    clientSecret: options.clientSecret,
  });

  const app = express();
  const signedIn = requireAuth(connection);

  app.get('/orders', signedIn, (req, res) => {
    res.json({ user: req.auth!.claims.sub, orders: [] });
  });

  // The API's own logout: the session ends at the service, so no refresh revives it, and every API
  // following the service refuses its tokens.
  app.post('/logout', signedIn, async (req, res) => {
    await revoke(connection.revoker, req.auth);
    res.sendStatus(204);
  });

  // Log out everywhere: every session of the user, at the service.
  app.post('/logout-all', signedIn, async (req, res) => {
    await revoke(connection.revoker, req.auth, { scope: 'subject' });
    res.sendStatus(204);
  });

  const server: Server = app.listen(options.port, '127.0.0.1');
  try {
    await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));
  } catch (err) {
    await connection.close();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connection,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await connection.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const clientSecret = process.env['REVOCABLE_CLIENT_SECRET'];
  if (!clientSecret) {
    console.error(
      'Set REVOCABLE_CLIENT_SECRET to the secret `npx revocable client add orders-api` printed (REVOCABLE_CLIENT_ID for another client id).',
    );
    process.exit(1);
  }
  const api = await startConnectedApi({
    service: process.env['REVOCABLE_URL'] ?? 'http://localhost:3000',
    clientId: process.env['REVOCABLE_CLIENT_ID'] ?? 'orders-api',
    clientSecret,
    port: Number(process.env['PORT'] ?? 4000),
  });
  console.log(`Connected API listening on ${api.url}, following ${api.connection.issuer}`);
  const stop = () => void api.close().then(() => process.exit(0));
  process.once('SIGTERM', stop).once('SIGINT', stop);
}
