import { type RequireAuthOptions, requireAuth, revoke } from '@revocable/core/koa';
import Koa from 'koa';
import { describeMiddleware, overHttp } from './shared-suite.js';

describeMiddleware({
  name: 'Koa',
  create: (options) => requireAuth(options as RequireAuthOptions),
  start({ verifier, revoker, scopes }) {
    const me = requireAuth({ verifier, scopes: scopes ?? [] });
    const authenticated = requireAuth({ verifier });
    const app = new Koa();
    app.use(async (ctx, next) => {
      const route = `${ctx.method} ${ctx.path}`;
      if (route === 'GET /me') {
        return me(ctx, async () => {
          ctx.body = ctx.state.auth.claims;
        });
      }
      if (route === 'POST /logout' || route === 'POST /logout-all') {
        return authenticated(ctx, async () => {
          await revoke(revoker, ctx.state.auth, route === 'POST /logout' ? {} : { scope: 'subject' });
          ctx.status = 204;
        });
      }
      return next();
    });
    return overHttp(app.listen(0, '127.0.0.1'));
  },
});
