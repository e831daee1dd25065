import 'reflect-metadata';
import { Controller, Get, HttpCode, Module, Post, Req, UseGuards } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { RevocableError } from '@revocable/core';
import { type RequireAuthOptions, type RevocableAuth, RevocableGuard, revoke } from '@revocable/core/nest';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { type AppOptions, describeMiddleware, overUrl } from './shared-suite.js';

type AuthedRequest = { auth: RevocableAuth };

// Decorators applied as functions: Nest's are TypeScript's legacy kind, and tsconfig.test.json compiles
// and type-checks the tests with standard decorators.
function method(target: object, name: string, ...decorators: MethodDecorator[]): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, name)!;
  for (const decorate of decorators) decorate(target, name, descriptor);
  Object.defineProperty(target, name, descriptor);
}

function appModule({ verifier, revoker, scopes }: AppOptions): new () => object {
  class MeController {
    me(request: AuthedRequest) {
      return request.auth.claims;
    }
    async logout(request: AuthedRequest) {
      await revoke(revoker, request.auth);
    }
    async logoutAll(request: AuthedRequest) {
      await revoke(revoker, request.auth, { scope: 'subject' });
    }
  }
  const proto = MeController.prototype;
  // As a class Nest instantiates (`RevocableGuard.with`), and as an instance (`new RevocableGuard`).
  method(proto, 'me', Get('me'), UseGuards(RevocableGuard.with({ verifier, scopes: scopes ?? [] })));
  const guard = new RevocableGuard({ verifier });
  method(proto, 'logout', Post('logout'), HttpCode(204), UseGuards(guard));
  method(proto, 'logoutAll', Post('logout-all'), HttpCode(204), UseGuards(guard));
  for (const name of ['me', 'logout', 'logoutAll']) Req()(proto, name, 0);
  Controller()(MeController);

  class AppModule {}
  Module({ controllers: [MeController] })(AppModule);
  return AppModule;
}

describeMiddleware({
  name: 'NestJS',
  create: (options) => new RevocableGuard(options as RequireAuthOptions),
  async start(options) {
    const app = await NestFactory.create(appModule(options), new ExpressAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    return overUrl(await app.getUrl(), () => app.close());
  },
});

const expired = {
  verify: () => Promise.reject(new RevocableError('ERR_TOKEN_EXPIRED', 'The token has expired.')),
};

describe('RevocableGuard beyond @UseGuards', () => {
  it('guards every route as a global provider (APP_GUARD with the class from RevocableGuard.with)', async () => {
    class OpenController {
      hello() {
        return { hello: 'world' };
      }
    }
    method(OpenController.prototype, 'hello', Get('hello'));
    Controller()(OpenController);
    class AppModule {}
    Module({
      controllers: [OpenController],
      providers: [{ provide: APP_GUARD, useClass: RevocableGuard.with({ verifier: expired }) }],
    })(AppModule);
    const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
    await app.listen(0, '127.0.0.1');
    try {
      const response = await fetch(`${await app.getUrl()}/hello`, {
        headers: { authorization: 'Bearer a.b.c' },
      });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'ERR_TOKEN_EXPIRED' });
    } finally {
      await app.close();
    }
  });

  // @nestjs/platform-fastify is not installed here: a hand-built ExecutionContext over a Fastify reply.
  it('answers through a Fastify reply, as on the Fastify platform', async () => {
    const guard = new RevocableGuard({ verifier: expired, realm: 'shop' });
    const app = Fastify();
    app.get('/me', async (request, reply) => {
      const context = {
        getType: () => 'http',
        switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
      };
      return (await guard.canActivate(context)) ? { admitted: true } : reply;
    });
    const response = await app.inject({ url: '/me', headers: { authorization: 'Bearer a.b.c' } });
    await app.close();
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: 'ERR_TOKEN_EXPIRED' });
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="shop", error="invalid_token"/);
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('refuses to guard anything but HTTP', async () => {
    const guard = new RevocableGuard({ verifier: expired });
    const context = {
      getType: () => 'rpc',
      switchToHttp: () => ({ getRequest: () => ({}), getResponse: () => ({}) }),
    };
    await expect(guard.canActivate(context)).rejects.toMatchObject({ code: 'ERR_CONFIG_INVALID' });
  });
});
