// The SPA, as an Angular app with MSAL would do it, in plain browser JavaScript: authorization code +
// PKCE at the provider (oauth4webapi, a public client with no secret), the access token kept in
// sessionStorage (MSAL's default cache), the API called with it, and a sign-out that first asks the
// Revocable service to end the token (POST /auth/logout with the bearer) and then sends the browser
// to the provider's end-session endpoint.
import * as oauth from '/vendor/oauth4webapi.js';

const config = await (await fetch('/config.json')).json();
const issuer = new URL(config.issuer);
const client = { client_id: config.clientId };
const redirectUri = `${location.origin}/callback`;
// The stand-in speaks http on 127.0.0.1; against Entra ID this option is dropped.
const insecure = { [oauth.allowInsecureRequests]: true };

const $ = (id) => document.getElementById(id);
const cache = {
  get: (name) => sessionStorage.getItem(`spa.${name}`),
  set: (name, value) => sessionStorage.setItem(`spa.${name}`, value),
  clear: () => {
    for (const name of ['accessToken', 'idToken', 'user']) sessionStorage.removeItem(`spa.${name}`);
  },
};

async function metadata() {
  const response = await oauth.discoveryRequest(issuer, insecure);
  return oauth.processDiscoveryResponse(issuer, response);
}

async function signIn() {
  const as = await metadata();
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  cache.set('verifier', verifier);
  cache.set('state', state);
  cache.set('user', $('user').value);
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: `openid ${config.scope}`,
    resource: config.resource, // Entra: the scope's prefix (api://…/Orders.Read) says which API
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    login_hint: $('user').value,
    state,
  }).toString();
  location.assign(url.href);
}

async function completeSignIn() {
  const as = await metadata();
  const params = oauth.validateAuthResponse(as, client, new URL(location.href), cache.get('state'));
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    redirectUri,
    cache.get('verifier'),
    { ...insecure, additionalParameters: { resource: config.resource } },
  );
  const tokens = await oauth.processAuthorizationCodeResponse(as, client, response);
  cache.set('accessToken', tokens.access_token);
  cache.set('idToken', tokens.id_token);
  history.replaceState(null, '', '/');
}

async function callApi() {
  const response = await fetch(`${config.apiUrl}/api/orders`, {
    headers: { authorization: `Bearer ${cache.get('accessToken')}` },
  });
  $('api-result').textContent = `${response.status} ${await response.text()}`;
}

async function signOut() {
  const as = await metadata();
  const idToken = cache.get('idToken');
  // 1. The revocation point: the service writes a rule for this token, and every API following its feed
  //    refuses the token, copies included, within the propagation bound.
  const logout = await fetch(`${config.serviceUrl}/auth/logout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${cache.get('accessToken')}` },
  });
  sessionStorage.setItem('spa.lastLogout', String(logout.status));
  cache.clear();
  // 2. The provider's own session (Entra: its end-session endpoint, as MSAL's logoutRedirect does).
  const url = new URL(as.end_session_endpoint);
  url.search = new URLSearchParams({
    id_token_hint: idToken ?? '',
    client_id: client.client_id,
    post_logout_redirect_uri: `${location.origin}/`,
  }).toString();
  location.assign(url.href);
}

function show() {
  const token = cache.get('accessToken');
  document.body.dataset.session = token ? 'signed-in' : 'signed-out';
  $('signed-in').hidden = !token;
  $('signed-out').hidden = Boolean(token);
  $('session-status').textContent = token ? `Signed in as ${cache.get('user')}.` : 'Not signed in.';
  const last = sessionStorage.getItem('spa.lastLogout');
  if (last !== null && !token) {
    $('last-logout').textContent =
      last === '204'
        ? 'Signed out: the service revoked the token (204), then the provider ended its session.'
        : `Signed out at the provider, but the service answered ${last}: the token was not revoked.`;
  }
}

async function main() {
  if (location.pathname === '/callback') await completeSignIn();
  $('sign-in').addEventListener('click', () => signIn().catch(fail));
  $('call-api').addEventListener('click', () => callApi().catch(fail));
  $('sign-out').addEventListener('click', () => signOut().catch(fail));
  show();
}

function fail(error) {
  document.body.dataset.session = 'error';
  $('session-status').textContent = `Error: ${error instanceof Error ? error.message : String(error)}`;
}

main().catch(fail);
