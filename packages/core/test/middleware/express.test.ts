import { type RequireAuthOptions, requireAuth, revoke } from '@revocable/core/express';
import express from 'express';
import { describeMiddleware, overHttp } from './shared-suite.js';

describeMiddleware({
  name: 'Express',
  create: (options) => requireAuth(options as RequireAuthOptions),
  start({ verifier, revoker, scopes }) {
    const app = express();
    const authenticated = requireAuth({ verifier });
    app.get('/me', requireAuth({ verifier, scopes: scopes ?? [] }), (req, res) => {
      res.json(req.auth!.claims);
    });
    app.post('/logout', authenticated, async (req, res) => {
      await revoke(revoker, req.auth);
      res.sendStatus(204);
    });
    app.post('/logout-all', authenticated, async (req, res) => {
      await revoke(revoker, req.auth, { scope: 'subject' });
      res.sendStatus(204);
    });
    return overHttp(app.listen(0, '127.0.0.1'));
  },
});
