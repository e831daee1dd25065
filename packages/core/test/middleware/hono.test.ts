import { type RequireAuthOptions, type RevocableVariables, requireAuth, revoke } from '@revocable/core/hono';
import { Hono } from 'hono';
import { describeMiddleware, inProcess } from './shared-suite.js';

describeMiddleware({
  name: 'Hono',
  create: (options) => requireAuth(options as RequireAuthOptions),
  async start({ verifier, revoker, scopes }) {
    const app = new Hono<{ Variables: RevocableVariables }>();
    const authenticated = requireAuth({ verifier });
    app.get('/me', requireAuth({ verifier, scopes: scopes ?? [] }), (c) => c.json(c.get('auth').claims));
    app.post('/logout', authenticated, async (c) => {
      await revoke(revoker, c.get('auth'));
      return c.body(null, 204);
    });
    app.post('/logout-all', authenticated, async (c) => {
      await revoke(revoker, c.get('auth'), { scope: 'subject' });
      return c.body(null, 204);
    });
    return inProcess((request) => app.fetch(request));
  },
});
