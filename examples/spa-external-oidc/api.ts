// The API: trusts the external provider by its discovery document, verifies its access tokens
// locally (Entra ID v2 profile: typ JWT, uti), revokes them locally on the app's logout, and turns the
// provider's back-channel logout into a revocation rule. Every route's check includes the replica.

import {
  BackchannelLogoutReceiver,
  LogFeedSource,
  MemoryRevocationLog,
  Replica,
  ReplicaFollower,
  Revoker,
  trustIssuer,
} from '@revocable/core';
import { requireAuth, revoke } from '@revocable/core/express';
import express, { type Express } from 'express';

export interface ApiOptions {
  /** The provider's issuer identifier (Entra v2: `https://login.microsoftonline.com/<tenant>/v2.0`). */
  readonly issuer: string;
  /** The API's audience at the provider. */
  readonly audience: string;
  /** The SPA's client_id: the `aud` of the provider's logout tokens. */
  readonly clientId: string;
  /** Only for the local stand-in on http://127.0.0.1. Never in production. */
  readonly allowInsecureLocalhost?: boolean;
}

export interface Api {
  readonly app: Express;
  close(): void;
}

export async function createApi(options: ApiOptions): Promise<Api> {
  // The revocation log and the replica. In production the log is SQLite/PostgreSQL and each API
  // process follows it over HTTP (SSE) or Redis; the code below stays the same.
  // One policy for the log and the replica; the verifier takes its lifetime bound from the replica.
  // Here 10 minutes, the stand-in provider's token lifetime (real Entra ID: 90 minutes, 5_400_000).
  const policy = { maxTokenLifetimeMs: 600_000, clockSkewMs: 60_000 };
  const log = new MemoryRevocationLog({ policy });
  const replica = new Replica({ policy });
  const follower = new ReplicaFollower(replica, new LogFeedSource(log));
  await follower.start();
  const revoker = new Revoker(log);

  const provider = await trustIssuer({
    issuer: options.issuer,
    audience: options.audience,
    profile: 'entra-v2', // typ JWT and uti: an explicit choice, never a default
    revocation: replica, // tokens living longer than replica.policy allows are refused
    allowInsecureLocalhost: options.allowInsecureLocalhost ?? false,
  });
  const backchannel = new BackchannelLogoutReceiver({
    issuer: provider.issuer,
    keys: provider.keys,
    clientId: options.clientId,
    revoker,
    preferSession: false, // Entra-shaped access tokens carry no sid: end all of the user's tokens
  });

  const app = express();
  const signedIn = requireAuth({ verifier: provider, realm: 'api' });

  app.get('/api/me', signedIn, (req, res) => {
    res.json({ sub: req.auth!.claims.sub, uti: req.auth!.claims['uti'], scope: req.auth!.claims.scope });
  });

  // The app's own logout: the token in hand (by uti) is rejected from now on, copies included.
  app.post('/api/logout', signedIn, async (req, res) => {
    await revoke(revoker, req.auth);
    res.sendStatus(204);
  });

  // OIDC Back-Channel Logout: the provider POSTs logout_token=… when the user signs out there.
  app.post(
    '/backchannel-logout',
    express.text({ type: 'application/x-www-form-urlencoded' }),
    async (req, res) => {
      const answer = await backchannel.handleForm(
        typeof req.body === 'string' ? req.body : '',
        req.get('content-type'),
      );
      res.status(answer.status).set(answer.headers).send(answer.body);
    },
  );

  return {
    app,
    close: () => {
      follower.stop();
      replica.close();
    },
  };
}
