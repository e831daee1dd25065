// An API as issue 12 pictures it: protected by the core middleware, trusting an external issuer's
// tokens, and checking each against its replica of the Revocable service's revocations, followed over
// the service's feed (`connectToService`). It has no logout of its own: the service is the revocation point.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  connectToService,
  type ServiceConnection,
  type TokenProfileName,
  type TrustedIssuer,
  type TrustedIssuerOptions,
  trustIssuer,
} from '@revocable/core';
import { requireAuth } from '@revocable/core/express';
import express from 'express';

export interface FollowingApiOptions {
  /** The service's URL (its issuer). */
  readonly service: string;
  /** The API's confidential client at the service, with the `feed` permission. */
  readonly client: { readonly id: string; readonly secret: string };
  /** The external issuer the API trusts. */
  readonly issuer: string;
  readonly audience: string;
  readonly profile: TokenProfileName;
  /** Tightens the replica's bound for this issuer (seconds). */
  readonly maxTokenLifetimeSec?: number;
  /** How the issuer's key set is cached (default: the core's). */
  readonly jwks?: TrustedIssuerOptions['jwks'];
}

export interface FollowingApi {
  readonly url: string;
  readonly connection: ServiceConnection;
  readonly trusted: TrustedIssuer;
  /** GET /me with `token`: the status and the JSON body (`error` is the RevocableError code on 401). */
  me(token: string): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/**
 * Connects to the service, trusts the issuer with the service's replica as its revocation check, and
 * serves `GET /me` behind `requireAuth` on a free port of 127.0.0.1.
 *
 * @example
 * ```ts
 * const api = await startFollowingApi({ service, client, issuer: entra.issuer, audience: entra.audience, profile: 'entra-v2' });
 * expect((await api.me(alice.accessToken)).status).toBe(200);
 * ```
 */
export async function startFollowingApi(options: FollowingApiOptions): Promise<FollowingApi> {
  const connection = await connectToService(options.service, {
    clientId: options.client.id,
    clientSecret: options.client.secret,
  });
  const trusted = await trustIssuer({
    issuer: options.issuer,
    audience: options.audience,
    profile: options.profile,
    revocation: connection.replica,
    allowInsecureLocalhost: true, // the stand-ins listen on http://127.0.0.1
    ...(options.maxTokenLifetimeSec !== undefined && { maxTokenLifetimeSec: options.maxTokenLifetimeSec }),
    ...(options.jwks !== undefined && { jwks: options.jwks }),
  });
  const app = express();
  app.get('/me', requireAuth({ verifier: trusted, realm: 'api' }), (req, res) => {
    res.json({ sub: req.auth!.claims.sub });
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    connection,
    trusted,
    async me(token) {
      const response = await fetch(`${url}/me`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await connection.close();
    },
  };
}
