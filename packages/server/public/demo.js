// The stolen-token demo. Plain browser JavaScript (an ES module), no build step. The session is run by
// @revocable/client, served from the compiled packages/client/dist: the access token lives in that
// module's memory only, the refresh token in the HttpOnly __Host- cookie.
const $ = (id) => document.getElementById(id);

async function loadClient() {
  try {
    const { RevocableClient } = await import('/assets/client/index.js');
    return new RevocableClient({ name: 'revocable-demo' });
  } catch {
    const answer = await fetch('/assets/client/index.js')
      .then((r) => (r.ok ? '' : r.text()))
      .catch(() => '');
    const problem = $('client-problem');
    problem.hidden = false;
    problem.textContent = answer || 'The browser client could not be loaded: run `npm run build`.';
    $('session-status').textContent = 'Unavailable.';
    return null;
  }
}

const client = await loadClient();
let username = null;
let loggedOutAt = null;
/** Whether step 2 shows a signed-in answer (claims) that signing out must take down. */
let showingClaims = false;

const SIGNED_OUT = {
  'not-signed-in': 'Not signed in.',
  logout: 'Signed out: the session was ended at the service.',
  'logout-everywhere': 'Signed out everywhere.',
  'session-ended': 'Signed out: the session was ended (revoked, reused or expired).',
};

function show(id, ok, text) {
  const el = $(id);
  el.textContent = text;
  el.className = ok === null ? '' : ok ? 'ok' : 'bad';
}

const short = (value) => (value ? `${value.slice(0, 8)}…` : '–');
const clock = (ms) => new Date(ms).toLocaleTimeString();
const describe = (err) =>
  `${err?.code ?? 'Error'}${err?.serverCode ? ` (${err.serverCode})` : ''}: ${err?.message}`;

function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part));
  } catch {
    return {};
  }
}

async function showToken() {
  try {
    const token = await client.accessToken();
    $('token-info').textContent =
      `Access token …${token.slice(-10)} (in memory only), expires at ${clock(claimsOf(token).exp * 1000)}.`;
  } catch {
    $('token-info').textContent = 'No access token.';
  }
}

function render() {
  const state = client.getState();
  const signedIn = state.status === 'signed-in';
  document.body.dataset.session = state.status;
  for (const id of [
    'call-api',
    'refresh',
    'steal',
    'logout',
    'open-devices',
    'device-username',
    'device-password',
  ])
    $(id).disabled = !signedIn;
  if (signedIn && username && !$('device-username').value) $('device-username').value = username;
  if (signedIn) {
    $('session-problem').hidden = true;
    show(
      'session-status',
      true,
      `Signed in${username ? ` as ${username}` : ''} — session ${short(state.sessionId)}.`,
    );
    void showToken();
  } else if (state.status === 'signed-out') {
    show(
      'session-status',
      null,
      `${state.byOtherTab ? 'Signed out in another tab. ' : ''}${SIGNED_OUT[state.reason]}`,
    );
    $('token-info').textContent = 'No access token.';
    // The claims of an ended session are not shown as if they were current.
    if (showingClaims) show('api-result', null, '–');
    showingClaims = false;
  }
}

async function signIn(event) {
  event.preventDefault();
  const given = { username: $('username').value, password: $('password').value };
  try {
    await client.register(given.username, given.password);
  } catch (err) {
    if (err.serverCode !== 'ERR_USERNAME_TAKEN') return show('session-status', false, describe(err));
  }
  try {
    username = given.username;
    await client.login(given.username, given.password);
    // The password is not kept anywhere: step 5 asks for it again.
    $('password').value = '';
  } catch (err) {
    show('session-status', false, describe(err));
  }
}

async function callApi() {
  try {
    const response = await client.fetch('/api/me');
    const body = await response.json();
    const answer = `${response.status} ${JSON.stringify(body, null, 2)}`;
    show('api-result', response.ok, answer);
    showingClaims = response.ok;
    if (response.status === 401 && body?.error === 'ERR_TOKEN_REVOKED')
      show('api-result', false, `${answer}\n${await sessionAfterRevokedToken()}`);
  } catch (err) {
    show('api-result', false, describe(err));
    showingClaims = false;
  }
}

/**
 * The client drops a revoked token but cannot tell from the 401 whether only that token was revoked or
 * the whole session ended (an admin, a logout elsewhere). Asking for a token now finds out: a refresh
 * either issues a new one or is refused, and then the client signs this tab (and the others) out.
 */
async function sessionAfterRevokedToken() {
  try {
    await client.accessToken();
    return 'Only this access token was revoked: the session lives, and a new token was issued.';
  } catch (err) {
    if (client.getState().status === 'signed-out') return 'The session was ended: this tab is signed out.';
    return `The session could not be checked — ${describe(err)}.`;
  }
}

async function refreshNow() {
  try {
    await client.refresh();
    await showToken();
  } catch (err) {
    show('api-result', false, describe(err));
  }
}

async function steal() {
  $('stolen').value = await client.accessToken().catch(() => '');
  $('replay').disabled = $('stolen').value === '';
}

async function logOut() {
  try {
    await client.logout();
    loggedOutAt = performance.now();
    show('replay-result', null, 'Logged out. Now replay the copied token.');
  } catch (err) {
    show('replay-result', false, describe(err));
  }
}

/** The attacker's request, from a Web Worker: a separate context holding nothing but the copied string. */
function replayInWorker(token) {
  return new Promise((resolve, reject) => {
    const worker = new Worker('/assets/demo.worker.js');
    worker.addEventListener('message', (event) => {
      worker.terminate();
      resolve(event.data);
    });
    worker.addEventListener('error', (event) => {
      worker.terminate();
      reject(new Error(event.message || 'the worker failed'));
    });
    worker.postMessage({ token, url: new URL('/api/me', location.href).href });
  });
}

async function replay() {
  const token = $('stolen').value;
  const started = performance.now();
  const result = await replayInWorker(token).catch((err) => ({ failed: err.message }));
  if (result.failed) return show('replay-result', false, `The replay could not run: ${result.failed}`);
  const since =
    loggedOutAt === null
      ? 'before any logout'
      : `${((started - loggedOutAt) / 1000).toFixed(2)} s after the logout`;
  const exp = claimsOf(token).exp;
  if (result.status === 401) {
    show(
      'replay-result',
      true,
      `Rejected: ${result.status} ${result.body?.error}\n${result.body?.message}\n` +
        `WWW-Authenticate: ${result.challenge}\n` +
        `Answered in ${result.tookMs.toFixed(1)} ms, ${since}.\n` +
        `The token itself would have been valid until ${exp ? clock(exp * 1000) : '?'}: its expiry did not matter.`,
    );
  } else {
    show(
      'replay-result',
      false,
      `Accepted (${result.status}), ${since}: the copy still works. Log out first (step 4).`,
    );
  }
}

// Step 5: more sessions of the same user, each calling the API every second, then "log out everywhere".
const devices = [];
let pollTimer = null;

async function probe(device) {
  if (device.viaClient) {
    try {
      const response = await client.fetch('/api/me');
      const body = await response.json().catch(() => null);
      return { alive: response.ok, code: body?.error };
    } catch (err) {
      return { alive: false, code: err.code };
    }
  }
  const response = await fetch('/api/me', {
    headers: { authorization: `Bearer ${device.token}` },
    credentials: 'omit',
    cache: 'no-store',
  });
  const body = await response.json().catch(() => null);
  return { alive: response.ok, code: body?.error };
}

function deviceRow(device) {
  const row = document.createElement('tr');
  const name = Object.assign(document.createElement('th'), { scope: 'row', textContent: device.label });
  device.cell = document.createElement('td');
  row.append(name, device.cell);
  $('device-rows').append(row);
}

async function pollDevices(since) {
  await Promise.all(
    devices
      .filter((d) => d.diedAfterMs === undefined)
      .map(async (device) => {
        const { alive, code } = await probe(device);
        if (alive) {
          device.cell.textContent = `alive: the API answers 200 (checked ${clock(Date.now())})`;
          device.cell.className = 'ok';
          return;
        }
        device.diedAfterMs = since === null ? 0 : performance.now() - since;
        device.cell.textContent =
          since === null
            ? `rejected: ${code}`
            : `rejected: ${code} — checked ${device.diedAfterMs.toFixed(0)} ms after "log out everywhere" returned`;
        device.cell.className = 'bad';
        // The client finds out its session ended on its next refresh; let it, so every tab signs out.
        if (device.viaClient) void client.accessToken().catch(() => {});
      }),
  );
  return devices.every((d) => d.diedAfterMs !== undefined);
}

async function openDevices(event) {
  event.preventDefault();
  // Read once and cleared: the password lives only in this call, for the three logins.
  const login = JSON.stringify({
    username: $('device-username').value,
    password: $('device-password').value,
  });
  $('device-password').value = '';
  $('open-devices').disabled = true;
  devices.splice(0);
  $('device-rows').replaceChildren();
  if (client.getState().status === 'signed-in')
    devices.push({ label: 'This tab (cookie session)', viaClient: true });
  for (let i = 1; i <= 3; i++) {
    const response = await fetch('/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: login,
      credentials: 'omit',
    });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      $('open-devices').disabled = client.getState().status !== 'signed-in';
      return show('everywhere-result', false, `Login ${i} failed: ${body?.error ?? response.status}`);
    }
    devices.push({ label: `Device ${i} — session ${short(body.session_id)}`, token: body.access_token });
  }
  for (const device of devices) deviceRow(device);
  await pollDevices(null);
  clearInterval(pollTimer);
  pollTimer = setInterval(() => void pollDevices(null), 1000);
  $('everywhere').disabled = false;
  show(
    'everywhere-result',
    null,
    `${devices.length} sessions are alive. Now log out everywhere from device 3.`,
  );
}

async function logOutEverywhere() {
  $('everywhere').disabled = true;
  clearInterval(pollTimer);
  const from = devices.at(-1);
  const response = await fetch('/auth/logout-all', {
    method: 'POST',
    headers: { authorization: `Bearer ${from.token}` },
    credentials: 'omit',
  });
  const answered = performance.now();
  const body = await response.json().catch(() => null);
  if (!response.ok) return show('everywhere-result', false, `log out everywhere failed: ${body?.error}`);
  let allDead = false;
  let checks = 0;
  while (checks < 100 && !allDead) {
    allDead = await pollDevices(answered);
    checks++;
    if (!allDead) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const slowest = Math.max(...devices.map((d) => d.diedAfterMs ?? Number.NaN));
  show(
    'everywhere-result',
    allDead,
    allDead
      ? `"Log out everywhere" ended ${body.ended_sessions} sessions: all ${devices.length} were rejected ${checks === 1 ? 'on their first check' : `within ${checks} checks`}, within ${slowest.toFixed(0)} ms of its answer.`
      : 'Some sessions still answer: see the table.',
  );
}

if (client) {
  client.subscribe(render);
  $('login-form').addEventListener('submit', signIn);
  $('call-api').addEventListener('click', callApi);
  $('refresh').addEventListener('click', refreshNow);
  $('steal').addEventListener('click', steal);
  $('logout').addEventListener('click', logOut);
  $('replay').addEventListener('click', replay);
  $('devices-form').addEventListener('submit', openDevices);
  $('everywhere').addEventListener('click', logOutEverywhere);
  $('login').disabled = false;
  // A 5xx, a 429 or a network error must not leave "Starting…" up: say so, and let the user sign in.
  try {
    if (!(await client.restore())) show('session-status', null, 'Not signed in.');
  } catch (err) {
    show('session-status', null, 'Session unknown: sign in below.');
    const problem = $('session-problem');
    problem.textContent = `The page could not check for an existing session — ${describe(err)}. You can still sign in.`;
    problem.hidden = false;
  }
  render();
}
