// The admin console. Plain browser JavaScript (ES modules), no build step. The admin credential is kept
// in this module's memory only: closing or reloading the page forgets it. It speaks the admin API's wire
// form (snake_case, RFC 3339 times); the feed's events are turned into that form as they arrive.
import { bars, sparkline } from '/assets/console.charts.js';
import { followFeed } from '/assets/console.feed.js';
import {
  actorCell,
  actorSub,
  actorText,
  button,
  describeRule,
  deviceName,
  el,
  issuerCard,
  renameActors,
  short,
  table,
  when,
} from '/assets/console.views.js';

const $ = (id) => document.getElementById(id);
const SAMPLES = 60;

let adminToken = null;
let issuer = null;
/** The service's metadata (RFC 8414), read when the console opens. */
let metadata = null;
let feedAbort = null;
let pollTimer = null;
let openedSub = null;
const offsets = [];
const names = new Map();
/** Subs of `user:` actors the console reloaded its users for, so an unknown one is looked up once. */
const lookedUp = new Set();
const audit = new Map();
const revokedKids = new Set();
const lagSamples = [];
const stalenessSamples = [];
const propagation = [];

/** What to do when the service runs without an admin token (its admin API is then disabled). */
const ADMIN_DISABLED =
  'The admin API of this service is disabled. To enable it, start the service with REVOCABLE_ADMIN_TOKEN set ' +
  '(npm start on this machine writes one next to the database and prints where).';

/** The service's answer when it has no admin token, as opposed to a wrong one (same code, 401). */
const disabledAnswer = (json) =>
  json?.error === 'ERR_ADMIN_AUTH_REQUIRED' && /\bdisabled\b/i.test(json?.message ?? '');

async function admin(path, { method = 'GET', body } = {}) {
  const headers = { authorization: `Bearer ${adminToken}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { error: 'ERR_NOT_JSON', message: text.slice(0, 200) };
  }
  if (!response.ok) {
    const message = disabledAnswer(json)
      ? ADMIN_DISABLED
      : `${json?.error ?? response.status}: ${json?.message ?? ''}`;
    throw Object.assign(new Error(message), { code: json?.error });
  }
  return json;
}

/** The server's clock, estimated from feed heartbeats (the local clock until the first one). */
function serverNow() {
  return Date.now() + (offsets.length ? Math.max(...offsets) : 0);
}

function say(text, ok = true) {
  const status = $('action-status');
  status.textContent = text;
  status.className = ok ? 'ok' : 'bad';
}

/** Runs a console action; its failure is announced, never thrown into the void. */
async function act(action) {
  try {
    await action();
  } catch (err) {
    say(err.message, false);
  }
}

/** Appends a rule to the revocation log, with the reason and the typed name of this page; the event. */
function appendRule(rule) {
  const actor = $('actor').value.trim();
  return admin('/admin/revocations', {
    method: 'POST',
    body: { rule, reason: $('reason').value, ...(actor && { actor }) },
  });
}

/** What a console revocation wrote, in one line. */
const revokedLine = (event, what) =>
  `Revoked ${what}: log seq ${event.seq}, reason "${event.reason}", by ${actorText(event.actor, names)}.`;

/**
 * Appends a revocation. Session and user rules carry no cutoff: the server stamps its own clock, so
 * everything issued up to its receipt is revoked whatever this browser's clock says. The typed name
 * goes with it as the actor of the audit trail.
 */
async function revoke(rule, what) {
  say(revokedLine(await appendRule(rule), what));
  if (rule.kind === 'key') revokedKids.add(rule.kid);
  await loadUsers();
  if (openedSub) await showSessions(openedSub, false);
}

function userActions(user) {
  const sessions = button('Sessions', () => act(() => showSessions(user.id, true)), {
    name: `Sessions of ${user.username}`,
  });
  sessions.setAttribute('aria-controls', 'sessions');
  const everywhere = button(
    'Log out everywhere',
    () => {
      const question = `Log ${user.username} out everywhere? Every session and token of ${user.username} ends now.`;
      if (!confirm(question)) return;
      void act(() =>
        revoke({ kind: 'subject', iss: issuer, sub: user.id }, `every token of ${user.username}`),
      );
    },
    // The accessible name starts with the visible text, so voice control users can say what they see.
    { danger: true, name: `Log out everywhere: ${user.username}` },
  );
  const suspend = button(
    user.suspended ? 'Reinstate' : 'Suspend',
    () => {
      const question = `Suspend ${user.username}? Every session and token of ${user.username} ends now, and ${user.username} cannot log in until reinstated.`;
      // Reinstating ends nothing: only the suspension asks first.
      if (!user.suspended && !confirm(question)) return;
      void act(async () => {
        await admin(`/admin/users/${encodeURIComponent(user.id)}/suspension`, {
          method: 'POST',
          body: {
            suspended: !user.suspended,
            ...($('actor').value.trim() && { actor: $('actor').value.trim() }),
          },
        });
        say(`${user.username} is ${user.suspended ? 'reinstated' : 'suspended: every token revoked'}.`);
        await loadUsers();
      });
    },
    { danger: !user.suspended, name: `${user.suspended ? 'Reinstate' : 'Suspend'} ${user.username}` },
  );
  return el('div', { className: 'actions' }, sessions, everywhere, suspend);
}

async function loadUsers() {
  const { users } = await admin('/admin/users?limit=500');
  names.clear();
  for (const user of users) names.set(user.id, user.username);
  renderAudit();
  renameActors($('feed'), names);
  $('users').replaceChildren(
    table(
      'Users',
      users,
      [
        ['Username', (u) => u.username],
        ['Created', (u) => when(u.created_at)],
        ['Suspended', (u) => (u.suspended ? 'yes' : 'no')],
        ['Actions', userActions],
      ],
      { empty: 'No users yet.' },
    ),
  );
}

async function showSessions(sub, focus) {
  const { sessions } = await admin(`/admin/users/${encodeURIComponent(sub)}/sessions`);
  openedSub = sub;
  const name = names.get(sub) ?? short(sub);
  const heading = el('h3', { id: 'sessions-heading', tabIndex: -1 }, `Live sessions of ${name}`);
  const live = sessions; // the admin API lists live sessions only
  // The table is not a live region (every re-render would be read out): this one line is announced.
  $('sessions-status').textContent =
    live.length === 0
      ? `${name} has no live session.`
      : `${name} has ${live.length} live session${live.length === 1 ? '' : 's'}.`;
  $('sessions').replaceChildren(
    heading,
    table(
      `Live sessions of ${name}`,
      live,
      [
        ['Session', (s) => el('code', { title: s.id }, short(s.id))],
        ['Device', (s) => el('span', { title: s.device ?? '' }, deviceName(s.device))],
        ['IP', (s) => s.ip ?? '–'],
        ['Started', (s) => when(s.created_at)],
        ['Last seen', (s) => when(s.last_seen_at)],
        [
          'Actions',
          (s) =>
            button('Revoke session', () => confirmRevokeSession(s, name), {
              danger: true,
              name: `Revoke session ${short(s.id)}`,
            }),
        ],
      ],
      { empty: `${name} has no live session.` },
    ),
  );
  if (focus) heading.focus();
}

function confirmRevokeSession(session, name) {
  const question = `Revoke session ${short(session.id)} of ${name}? Its tokens are rejected from now on and it cannot be refreshed.`;
  if (!confirm(question)) return;
  void act(() => revoke({ kind: 'session', iss: issuer, sid: session.id }, `session ${short(session.id)}`));
}

function tokenRule(jwt) {
  const parts = jwt.trim().split('.');
  if (parts.length !== 3) throw new Error('That is not a JWT (three dot-separated parts).');
  let claims;
  try {
    claims = JSON.parse(atob(parts[1].replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    throw new Error('The token payload is not readable JSON.');
  }
  if (typeof claims.jti !== 'string' || typeof claims.exp !== 'number')
    throw new Error('The token has no jti or exp claim.');
  const expires_at = new Date(claims.exp * 1000).toISOString();
  // A token rule matches its iss only: a trusted issuer's token is revoked at that issuer.
  const iss = typeof claims.iss === 'string' ? { iss: claims.iss } : {};
  return { rule: { kind: 'token', ...iss, token_id: claims.jti, expires_at }, sub: claims.sub };
}

async function revokeKey(key) {
  let target = key;
  if (key.state === 'active') {
    // Sign new tokens with the next key first, or every login after the revocation would be dead on arrival.
    const { keys } = await admin('/admin/keys/rotate', { method: 'POST' });
    target = keys.find((k) => k.kid === key.kid) ?? key;
  }
  // Without a known end, the server makes the rule last until every token the key signed has expired.
  const rule = { kind: 'key', kid: key.kid, ...(target.verify_until && { expires_at: target.verify_until }) };
  await revoke(rule, `key ${short(key.kid, 16)}`);
  await loadKeys();
}

function confirmRevokeKey(key) {
  const rotating = key.state === 'active' ? ' (rotating first)' : '';
  if (!confirm(`Revoke key ${short(key.kid, 16)}${rotating}? Every token it signed is rejected from now on.`))
    return;
  void act(() => revokeKey(key));
}

async function loadKeys() {
  const { keys } = await admin('/admin/keys');
  $('keys').replaceChildren(
    table('Signing keys', keys, [
      ['kid', (k) => el('code', { title: k.kid }, short(k.kid, 16))],
      ['alg', (k) => k.alg],
      ['State', (k) => (revokedKids.has(k.kid) ? `${k.state}, revoked` : k.state)],
      ['Created', (k) => when(k.created_at)],
      [
        'Verifies until',
        (k) => (k.verify_until ? when(k.verify_until) : k.state === 'next' ? 'not yet used' : 'while active'),
      ],
      [
        'Actions',
        (k) =>
          k.state === 'next' || revokedKids.has(k.kid)
            ? ''
            : button('Revoke key', () => confirmRevokeKey(k), {
                danger: true,
                name: `Revoke key ${short(k.kid, 16)}${k.state === 'active' ? ' (rotates first)' : ''}`,
              }),
      ],
    ]),
  );
}

/** The service's own issuer in the wire form of `GET /admin/issuers` (its keys are its own: never fetched). */
async function ownIssuer() {
  const { keys } = await admin('/admin/keys');
  return {
    own: true,
    id: 'self',
    issuer,
    profile: 'Revocable (this service)',
    audience: metadata.revocable_audience ? [metadata.revocable_audience] : [],
    max_token_lifetime_sec: Math.round(metadata.revocable_revocation_policy.max_token_lifetime_ms / 1000),
    state: keys.some((k) => k.state === 'active') ? 'ready' : 'unavailable',
    kids: keys.map((k) => k.kid),
    keys_fetched_at: null,
    jwks_uri: metadata.jwks_uri,
    last_error: null,
    backchannel_logout: null,
  };
}

/** The issuers whose tokens this service checks: its own, then the trusted ones of --config. */
async function loadIssuers() {
  const [own, { issuers }] = await Promise.all([ownIssuer(), admin('/admin/issuers')]);
  const down = issuers.filter((i) => i.state !== 'ready').length;
  $('issuers-status').textContent =
    `${issuers.length === 0 ? 'No' : issuers.length} trusted issuer${issuers.length === 1 ? '' : 's'}` +
    (down ? `, ${down} unavailable.` : '.');
  const revokeAt = async (rule, what) => revokedLine(await appendRule(rule), what);
  $('issuers').replaceChildren(...[own, ...issuers].map((i) => issuerCard(i, revokeAt)));
}

function renderAudit() {
  const events = [...audit.values()].sort((a, b) => b.seq - a.seq).slice(0, 200);
  $('audit').replaceChildren(
    table(
      'Revocations, newest first',
      events,
      [
        ['seq', (e) => e.seq],
        ['When', (e) => when(e.recorded_at)],
        ['What', (e) => describeRule(e.rule, names, issuer)],
        ['Rule', (e) => e.rule.kind],
        ['Reason', (e) => e.reason],
        ['Who', (e) => actorCell(e.actor, names)],
      ],
      { empty: 'No revocations yet.' },
    ),
  );
}

function remember(samples, value) {
  samples.push(value);
  if (samples.length > SAMPLES) samples.shift();
}

async function pollReplica() {
  const r = await admin('/admin/replica');
  const lag = Math.max(0, r.log_last_seq - r.last_seq);
  remember(lagSamples, lag);
  remember(stalenessSamples, r.staleness_ms ?? Number.NaN);
  sparkline($('lag-chart'), lagSamples, ['event', 'events']);
  $('lag-summary').textContent =
    `Log events not yet applied by this process's replica: ${lag} (log seq ${r.log_last_seq}, replica seq ${r.last_seq}). One sample a second.`;
  sparkline($('staleness-chart'), stalenessSamples, 'ms');
  const rules = r.tokens + r.sessions + r.subjects + r.keys + r.issuers;
  $('staleness-summary').textContent =
    `Last heard from its feed ${r.staleness_ms ?? '∞'} ms ago${r.stale ? ' — STALE' : ''}; ` +
    `${rules} live rule${rules === 1 ? '' : 's'}, ${r.token_table_bytes} bytes of token table.`;
}

function onRevocation(event) {
  if (event.rule.kind === 'allow' || audit.has(event.seq)) return;
  audit.set(event.seq, event);
  if (event.rule.kind === 'key' && !revokedKids.has(event.rule.kid)) {
    revokedKids.add(event.rule.kid);
    void act(loadKeys);
  }
  const delay = Math.max(0, Math.round(serverNow() - Date.parse(event.recorded_at)));
  const live = offsets.length > 0 && delay < 60_000;
  if (live) {
    remember(propagation, delay);
    bars($('propagation-chart'), propagation, 'ms');
    const sorted = [...propagation].sort((a, b) => a - b);
    $('propagation-summary').textContent =
      `Log → this console over the feed: last ${delay} ms, median ${sorted[Math.floor(sorted.length / 2)]} ms, ` +
      `worst ${sorted.at(-1)} ms over ${sorted.length} revocations.`;
  }
  const item = el(
    'li',
    {},
    el('strong', {}, `#${event.seq} ${event.rule.kind}`),
    ` ${describeRule(event.rule, names, issuer)} — ${event.reason}, by `,
    actorCell(event.actor, names),
    live ? ` (${delay} ms after it was logged)` : '',
  );
  $('feed').prepend(item);
  while ($('feed').children.length > 50) $('feed').lastElementChild.remove();
  renderAudit();
  // A user who registered after the users were loaded: load them again (once per user) to name them.
  const sub = actorSub(event.actor);
  if (sub !== null && !names.has(sub) && !lookedUp.has(sub)) {
    lookedUp.add(sub);
    void act(loadUsers);
  }
  if (openedSub && ['session', 'subject'].includes(event.rule.kind))
    void act(() => showSessions(openedSub, false));
}

function startFeed(after) {
  feedAbort = new AbortController();
  void followFeed({
    token: adminToken,
    after,
    signal: feedAbort.signal,
    onRevocation,
    onHeartbeat: ({ at }) => {
      offsets.push(at - Date.now());
      if (offsets.length > 10) offsets.shift();
    },
    onStatus: (text, live) => {
      $('feed-status').textContent = `Feed: ${text}`;
      $('feed-status').className = live ? 'ok' : 'bad';
    },
  });
}

async function openConsole(event) {
  event.preventDefault();
  adminToken = $('admin-token').value;
  $('admin-token').value = '';
  try {
    metadata = await fetch('/.well-known/oauth-authorization-server').then((r) => r.json());
    issuer = metadata.issuer;
    const replica = await admin('/admin/replica');
    const last = replica.log_last_seq;
    const { events } = await admin(`/admin/revocations?after=${Math.max(0, last - 200)}&limit=200`);
    for (const e of events) if (e.rule.kind !== 'allow') audit.set(e.seq, e);
    for (const e of audit.values()) if (e.rule.kind === 'key') revokedKids.add(e.rule.kid);
    await loadUsers();
    await loadKeys();
    await loadIssuers();
    renderAudit();
    startFeed(last);
    await pollReplica();
    clearInterval(pollTimer);
    pollTimer = setInterval(() => void pollReplica().catch(() => {}), 1000);
    $('console-body').hidden = false;
    $('close-console').disabled = false;
    $('admin-status').textContent = 'Console open. The credential is held in this page only.';
    $('admin-status').className = 'ok';
    $('c-users').focus();
  } catch (err) {
    adminToken = null;
    $('admin-status').textContent = err.message;
    $('admin-status').className = 'bad';
  }
}

function closeConsole() {
  feedAbort?.abort();
  clearInterval(pollTimer);
  adminToken = null;
  openedSub = null;
  audit.clear();
  revokedKids.clear();
  lookedUp.clear();
  $('feed').replaceChildren();
  $('sessions').replaceChildren();
  $('sessions-status').textContent = '';
  $('issuers').replaceChildren();
  $('issuers-status').textContent = '';
  $('console-body').hidden = true;
  $('close-console').disabled = true;
  $('admin-status').textContent = 'Console closed; the credential is forgotten.';
  $('admin-status').className = '';
  $('admin-token').focus();
}

$('admin-form').addEventListener('submit', openConsole);
$('close-console').addEventListener('click', closeConsole);
$('reload').addEventListener('click', () => act(loadUsers));
$('reload-issuers').addEventListener('click', () => act(loadIssuers));
$('rotate').addEventListener('click', () =>
  act(async () => {
    const { keys } = await admin('/admin/keys/rotate', { method: 'POST' });
    say(`Keys rotated: ${short(keys.find((k) => k.state === 'active')?.kid, 16)} signs now.`);
    await loadKeys();
  }),
);
$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void act(async () => {
    const { rule, sub } = tokenRule($('token-input').value);
    await revoke(rule, `the token ${short(rule.token_id)} of ${names.get(sub) ?? short(sub)}`);
    $('token-input').value = '';
  });
});
