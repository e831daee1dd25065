import {
  failureResponse,
  type RequireAuthOptions,
  requestAuthenticator,
  revoke,
  withAuth,
} from '@revocable/core/fetch';
import { describeMiddleware, inProcess } from './shared-suite.js';

describeMiddleware({
  name: 'fetch',
  create: (options) => requestAuthenticator(options as RequireAuthOptions),
  async start({ verifier, revoker, scopes }) {
    const me = withAuth({ verifier, scopes: scopes ?? [] }, (_request, auth) => Response.json(auth.claims));
    const logout = withAuth({ verifier }, async (_request, auth) => {
      await revoke(revoker, auth);
      return new Response(null, { status: 204 });
    });
    // The verdict form, for handlers that do more than one thing with it.
    const authenticate = requestAuthenticator({ verifier });
    const logoutAll = async (request: Request): Promise<Response> => {
      const verdict = await authenticate(request);
      if (!verdict.ok) return failureResponse(verdict);
      await revoke(revoker, verdict.auth, { scope: 'subject' });
      return new Response(null, { status: 204 });
    };
    return inProcess((request) => {
      const route = `${request.method} ${new URL(request.url).pathname}`;
      if (route === 'GET /me') return me(request);
      if (route === 'POST /logout') return logout(request);
      if (route === 'POST /logout-all') return logoutAll(request);
      return new Response('not found', { status: 404 });
    });
  },
});
