// The API (the Spring Boot API of the original question, here Express): it verifies the provider's
// access tokens locally (keys from the provider's JWKS, the entra-v2 profile: typ JWT, uti) and checks
// each one against its copy of the Revocable service's revocations, followed over the service's feed.
// It has no logout route of its own: the SPA signs out at the service, and the feed brings the rule.

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectToService, type ServiceConnection, trustIssuer } from '@revocable/core';
import { requireAuth } from '@revocable/core/express';
import express from 'express';

export interface ApiOptions {
  /** The Revocable service's URL (its `issuer`). */
  readonly service: string;
  /** This API's confidential client at the service (permission `feed`). */
  readonly clientId: string;
  readonly clientSecret: string;
  /** The provider's issuer (Entra v2: `https://login.microsoftonline.com/<tenant>/v2.0`). */
  readonly issuer: string;
  /** This API's identifier at the provider: the tokens' `aud` (Entra v2: the API's client id). */
  readonly audience: string;
  /** The SPA's origin, allowed to call the API from the browser. */
  readonly spaOrigin: string;
  /** Only for the local stand-in on http://127.0.0.1. Never in production. */
  readonly allowInsecureLocalhost?: boolean;
}

export interface Api {
  readonly url: string;
  readonly connection: ServiceConnection;
  close(): Promise<void>;
}

/**
 * Connects to the service, trusts the provider, and starts the API on a free port of 127.0.0.1.
 *
 * @example
 * ```ts
 * const api = await startApi({ service, clientId: 'orders-api', clientSecret, issuer, audience, spaOrigin });
 * await fetch(`${api.url}/api/orders`, { headers: { authorization: `Bearer ${token}` } });
 * ```
 */
export async function startApi(options: ApiOptions): Promise<Api> {
  const connection = await connectToService(options.service, {
    clientId: options.clientId,
    clientSecret: options.clientSecret,
  });
  const provider = await trustIssuer({
    issuer: options.issuer,
    audience: options.audience,
    profile: 'entra-v2', // typ JWT and uti: an explicit choice, never a default
    revocation: connection.replica, // the service's revocations; its policy bounds the tokens' lifetime
    allowInsecureLocalhost: options.allowInsecureLocalhost ?? false,
  });

  const app = express();
  // The browser calls from the SPA's origin with a bearer token: no cookies, so no credentials mode.
  app.use((req, res, next) => {
    if (req.get('origin') !== options.spaOrigin) return next();
    res.set({ 'access-control-allow-origin': options.spaOrigin, vary: 'Origin' });
    if (req.method !== 'OPTIONS') return next();
    res.set({ 'access-control-allow-headers': 'authorization', 'access-control-allow-methods': 'GET' });
    res.sendStatus(204);
  });

  app.get('/api/orders', requireAuth({ verifier: provider, realm: 'orders' }), (req, res) => {
    const claims = req.auth!.claims;
    res.json({ user: claims['preferred_username'], sub: claims.sub, orders: [{ id: 1, item: 'coffee' }] });
  });

  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connection,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await connection.close();
    },
  };
}
