// The seed's setup: a SPA that signs users in at an external OIDC provider (Azure AD; here
// oidc-provider as its stand-in) and an API that trusts that provider, where logging out actually
// ends the tokens. Run: npx tsx --conditions=source examples/spa-external-oidc/run.ts

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { createApi } from './api.js';
import { type IdentityProvider, startIdentityProvider } from './identity-provider.js';
import { Spa } from './spa.js';

const CLIENT_ID = 'spa';
const API_AUDIENCE = 'api://orders'; // Entra: the API's Application ID URI / client id
const API_SCOPE = 'orders.read';
const SPA_REDIRECT = 'http://127.0.0.1:5173/callback'; // the SPA's own origin; the scripted browser stops there

export interface Example {
  readonly apiUrl: string;
  readonly provider: IdentityProvider;
  /** A new SPA instance (its own browser, so its own session at the provider). */
  spa(): Spa;
  close(): Promise<void>;
}

/** Starts the provider and the API on free ports of 127.0.0.1. */
export async function startExample(): Promise<Example> {
  // The API's URL must exist before the provider can register its back-channel logout endpoint.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = await startIdentityProvider({
    clientId: CLIENT_ID,
    redirectUri: SPA_REDIRECT,
    backchannelLogoutUri: `${apiUrl}/backchannel-logout`,
    apiAudience: API_AUDIENCE,
    apiScope: API_SCOPE,
  });
  const api = await createApi({
    issuer: provider.issuer,
    audience: API_AUDIENCE,
    clientId: CLIENT_ID,
    allowInsecureLocalhost: true,
  });
  server.on('request', api.app);
  return {
    apiUrl,
    provider,
    spa: () =>
      new Spa({
        issuer: provider.issuer,
        clientId: CLIENT_ID,
        redirectUri: SPA_REDIRECT,
        apiAudience: API_AUDIENCE,
        apiScope: API_SCOPE,
      }),
    close: async () => {
      api.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await provider.close();
    },
  };
}

async function story(): Promise<void> {
  const example = await startExample();
  const { apiUrl } = example;
  const show = async (step: string, response: Response) => {
    const body = await response.text();
    console.log(`${step.padEnd(46)} → ${response.status} ${body.slice(0, 90)}`);
  };
  try {
    console.log(`provider ${example.provider.issuer}   api ${apiUrl}\n`);
    const spa = example.spa();
    await spa.login();
    const stolen = spa.accessToken; // a copy, as an XSS or a leaked log would take it
    await show('1. login, GET /api/me', await spa.callApi(apiUrl, '/api/me'));
    await show('2. app logout: POST /api/logout', await spa.callApi(apiUrl, '/api/logout', 'POST'));
    await show(
      '3. the copy taken before logout: GET /api/me',
      await fetch(`${apiUrl}/api/me`, { headers: { authorization: `Bearer ${stolen}` } }),
    );
    await spa.login();
    await show('4. login again, GET /api/me', await spa.callApi(apiUrl, '/api/me'));
    await spa.logoutAtProvider();
    console.log('5. sign-out at the provider: it POSTs a logout token to /backchannel-logout');
    await show('6. the same access token: GET /api/me', await spa.callApi(apiUrl, '/api/me'));
    // The provider's iat is in whole seconds, read as the start of the second: the subject cutoff also
    // covers tokens issued later in the same second. A login in the next second is accepted.
    await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 5));
    await spa.login();
    await show('7. login again a second later, GET /api/me', await spa.callApi(apiUrl, '/api/me'));
  } finally {
    await example.close();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await story();
}
