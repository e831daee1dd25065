// A NestJS API protected by Revocable's guard, with its own logout.
// Run: npx tsx --conditions=source examples/nestjs-guard/server.ts
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Body, Controller, Get, HttpCode, Module, Post, Req, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
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
import { type RevocableAuth, RevocableGuard, revoke } from '@revocable/core/nest';

const ISSUER = 'https://auth.example';
const AUDIENCE = 'orders-api';

interface AuthedRequest {
  readonly auth: RevocableAuth;
}

// Nest's decorators are TypeScript's legacy kind, and this repository compiles and type-checks its
// examples with standard decorators, so they are applied as plain calls. With `experimentalDecorators`
// and `emitDecoratorMetadata` in your tsconfig.json, write `@Get('me') @UseGuards(SignedIn)` instead.
function decorate(controller: { prototype: object }, name: string, ...decorators: MethodDecorator[]): void {
  const target = controller.prototype;
  const descriptor = Object.getOwnPropertyDescriptor(target, name)!;
  for (const decorator of decorators) decorator(target, name, descriptor);
  Req()(target, name, 0);
}

/** A running example API. */
export interface NestApi {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the API on `port` (0: any free port) and resolves once it listens. */
export async function startNestApi(port = 0): Promise<NestApi> {
  // In production the issuer and the revocation log live elsewhere (the Revocable service or your
  // identity provider; SQL or Redis). Here everything is in memory, in one process.
  const keys = await KeyRing.open({ alg: 'EdDSA' });
  const issuer = new AccessTokenIssuer({ keys, issuer: ISSUER, audience: AUDIENCE });
  const log = new MemoryRevocationLog();
  const replica = new Replica();
  const follower = new ReplicaFollower(replica, new LogFeedSource(log));
  await follower.start();
  const revoker = new Revoker(log);
  const verifier = new Verifier({ keys, issuer: ISSUER, audience: AUDIENCE, revocation: replica });

  // A guard class with its options checked now; Nest instantiates it (no constructor arguments).
  const SignedIn = RevocableGuard.with({ verifier, realm: AUDIENCE });

  class AccountController {
    me(request: AuthedRequest) {
      return request.auth.claims;
    }

    orders(request: AuthedRequest) {
      return [{ id: 1, owner: request.auth.claims.sub, item: 'tea' }];
    }

    // The app's own logout: this session's tokens are rejected from now on, even copies taken before.
    async logout(request: AuthedRequest): Promise<void> {
      await revoke(revoker, request.auth);
    }
  }
  decorate(AccountController, 'me', Get('me'), UseGuards(SignedIn));
  // An instance works too, here with a required scope.
  const ordersReader = new RevocableGuard({ verifier, realm: AUDIENCE, scopes: ['orders:read'] });
  decorate(AccountController, 'orders', Get('orders'), UseGuards(ordersReader));
  decorate(AccountController, 'logout', Post('logout'), HttpCode(204), UseGuards(SignedIn));
  Controller()(AccountController);

  // Demo only, no login: mints a token for any user name. A real app gets tokens from its issuer.
  class DemoController {
    token(body: { sub?: unknown; scope?: unknown } = {}) {
      const sub = typeof body.sub === 'string' && body.sub !== '' ? body.sub : 'demo-user';
      const scope = typeof body.scope === 'string' ? body.scope : 'orders:read';
      const { token, expiresIn } = issuer.issue({ sub, sid: randomUUID(), scope });
      return { access_token: token, token_type: 'Bearer', expires_in: expiresIn };
    }
  }
  const token = Object.getOwnPropertyDescriptor(DemoController.prototype, 'token')!;
  Post('token')(DemoController.prototype, 'token', token);
  Body()(DemoController.prototype, 'token', 0);
  Controller('demo')(DemoController);

  class AppModule {}
  Module({ controllers: [AccountController, DemoController] })(AppModule);

  // Nest's default platform: @nestjs/platform-express (Express 5).
  const app = await NestFactory.create<NestExpressApplication>(AppModule, { logger: ['error', 'warn'] });
  await app.listen(port, '127.0.0.1');
  const url = await app.getUrl();
  return {
    url,
    close: async () => {
      follower.stop();
      replica.close();
      await app.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const api = await startNestApi(Number(process.env['PORT'] ?? 3000));
  console.log(`NestJS API listening on ${api.url}`);
}
