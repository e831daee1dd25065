import {
  type FastifyAuthHook,
  type RequireAuthOptions,
  type RevocableAuth,
  requireAuth,
  revocable,
  revoke,
} from '@revocable/core/fastify';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { describeMiddleware, overUrl } from './shared-suite.js';

describeMiddleware({
  name: 'Fastify',
  // The plugin checks its options when it is registered: app.ready() fails.
  create: async (options) => {
    const app = Fastify();
    try {
      return await app.register(revocable, options as RequireAuthOptions).ready();
    } finally {
      await app.close();
    }
  },
  async start({ verifier, revoker, scopes }) {
    const app = Fastify();
    await app.register(revocable, { verifier });
    app.get('/me', { preHandler: requireAuth({ verifier, scopes: scopes ?? [] }) }, async (request) => {
      return request.auth!.claims;
    });
    app.post('/logout', { preHandler: app.authenticate }, async (request, reply) => {
      await revoke(revoker, request.auth);
      return reply.code(204).send();
    });
    app.post('/logout-all', { preHandler: app.authenticate }, async (request, reply) => {
      await revoke(revoker, request.auth, { scope: 'subject' });
      return reply.code(204).send();
    });
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    return overUrl(base, async () => {
      await app.close();
    });
  },
});

describe('Fastify preHandler factory', () => {
  it('types request.auth and app.authenticate by being imported (checked by tsc)', () => {
    expectTypeOf<FastifyRequest['auth']>().toEqualTypeOf<RevocableAuth | null>();
    expectTypeOf<FastifyInstance['authenticate']>().toEqualTypeOf<FastifyAuthHook>();
  });

  it('checks its options when created', () => {
    expect(() => requireAuth({} as RequireAuthOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_CONFIG_INVALID' }),
    );
  });

  it('decorates the whole app, not only the plugin context (skip-override)', async () => {
    const app = Fastify();
    await app.register(revocable, { verifier: { verify: () => Promise.reject(new Error('unused')) } });
    await app.ready();
    expect(typeof app.authenticate).toBe('function');
    expect(app.hasRequestDecorator('auth')).toBe(true);
    await app.close();
  });
});
