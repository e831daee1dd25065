// Small DOM builders for the console: tables, buttons, time and rule descriptions. No framework.

/** An element with properties and children. */
export function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ''));
  return node;
}

/** A button (always `type="button"`, so it never submits a form). */
export function button(label, onClick, { secondary = true, danger = false, name } = {}) {
  const b = el('button', { type: 'button', textContent: label });
  b.className = [secondary ? 'secondary' : '', danger ? 'danger' : ''].filter(Boolean).join(' ');
  if (name) b.setAttribute('aria-label', name);
  b.addEventListener('click', onClick);
  return b;
}

/** A table with a caption, column headers, and one row per item; a column renders text or a node. */
export function table(caption, rows, columns, { empty = 'None.' } = {}) {
  if (rows.length === 0) return el('p', { className: 'muted' }, empty);
  const t = el('table');
  t.createCaption().textContent = caption;
  const head = t.createTHead().insertRow();
  for (const [label] of columns) head.append(el('th', { scope: 'col', textContent: label }));
  const body = t.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const [, render] of columns) {
      const value = render(row);
      const cell = tr.insertCell();
      if (value instanceof Node) cell.append(value);
      else cell.textContent = String(value ?? '');
    }
  }
  return t;
}

/** An RFC 3339 time as `HH:MM:SS` (with the date when it is not today); the full time as a tooltip. */
export function when(time) {
  if (time === null || time === undefined) return '–';
  const date = new Date(time);
  const today = new Date().toDateString() === date.toDateString();
  return el('time', {
    dateTime: date.toISOString(),
    title: date.toISOString(),
    textContent: today ? date.toLocaleTimeString() : date.toLocaleString(),
  });
}

/** The first characters of an id. */
export const short = (value, n = 10) =>
  value && value.length > n ? `${value.slice(0, n)}…` : (value ?? '–');

/**
 * What a revocation rule targets, in words; `names` maps a `sub` of this service to its username. A
 * session or subject of another issuer than `own` (this service's iss) is named with its issuer, and
 * never by a username of this service.
 */
export function describeRule(rule, names = new Map(), own = undefined) {
  const foreign = own !== undefined && rule.iss !== undefined && rule.iss !== own;
  switch (rule.kind) {
    case 'token':
      return `token ${short(rule.token_id)}`;
    case 'session':
      return `session ${short(rule.sid)}${foreign ? ` at ${rule.iss}` : ''}`;
    case 'subject':
      return foreign
        ? `subject ${short(rule.sub, 24)} at ${rule.iss} (everything before the cutoff)`
        : `user ${names.get(rule.sub) ?? short(rule.sub)} (everything before the cutoff)`;
    case 'key':
      return `key ${short(rule.kid, 16)}`;
    case 'issuer':
      return `issuer ${rule.iss} (everything before the cutoff)`;
    case 'allow':
      return `issued ${short(rule.token_id)}`;
    default:
      return String(rule.kind);
  }
}

/**
 * Who made a revocation, from the log's actor (`user:<sub>`, `admin:<name>`, `admin`, `client:<id>`,
 * `system`): the kind, then the name, e.g. `user ada` or `admin alice`. A user is named by username when
 * `names` (sub → username) knows it. The kind always comes first, so a user called `admin:alice` reads
 * `user admin:alice`, never as an admin.
 */
export function actorText(actor, names = new Map()) {
  if (typeof actor !== 'string' || actor === '') return '–';
  const colon = actor.indexOf(':');
  if (colon === -1) return actor;
  const kind = actor.slice(0, colon);
  const id = actor.slice(colon + 1);
  return kind === 'user' ? `user ${names.get(id) ?? short(id)}` : `${kind} ${id}`;
}

/** The sub of a `user:<sub>` actor, or null. */
export const actorSub = (actor) =>
  typeof actor === 'string' && actor.startsWith('user:') ? actor.slice(5) : null;

/**
 * {@link actorText} as an element whose tooltip is the log's own actor string; `renameActors` updates
 * it when a username becomes known.
 */
export function actorCell(actor, names) {
  const span = el('span', { title: actor ?? '' }, actorText(actor, names));
  span.dataset.actor = actor ?? '';
  return span;
}

/** Renames the actors under `root` (made by {@link actorCell}) with the usernames now known. */
export function renameActors(root, names) {
  for (const span of root.querySelectorAll('[data-actor]'))
    span.textContent = actorText(span.dataset.actor, names);
}

/** A short name for a User-Agent string. */
export function deviceName(agent) {
  if (!agent) return 'unknown device';
  const browser = /(Edg|Firefox|Chrome|HeadlessChrome|Safari|curl|node)\/[\d.]+/.exec(agent)?.[0];
  const system = /\(([^;)]+)/.exec(agent)?.[1];
  return [browser, system].filter(Boolean).join(' on ') || agent.slice(0, 40);
}

/** A lifetime in seconds, in words: `90 min (5400 s)`. */
export function lifetime(seconds) {
  if (typeof seconds !== 'number') return '–';
  if (seconds % 3600 === 0) return `${seconds / 3600} h (${seconds} s)`;
  if (seconds % 60 === 0) return `${seconds / 60} min (${seconds} s)`;
  return `${seconds} s`;
}

/** An issuer's key state in words: `ready`, or `unavailable — CODE: message` (the last error, as text). */
export function issuerState(issuer) {
  const error = issuer.last_error ? `${issuer.last_error.code}: ${issuer.last_error.message}` : '';
  if (issuer.state === 'ready')
    return el('span', { className: 'ok' }, error ? `ready (last refresh failed — ${error})` : 'ready');
  return el('span', { className: 'bad' }, error ? `unavailable — ${error}` : 'unavailable');
}

/** A description list of `[term, detail]` pairs; a detail is text or a node. */
function facts(pairs) {
  const list = el('dl', { className: 'facts' });
  for (const [term, detail] of pairs) list.append(el('dt', {}, term), el('dd', {}, ...[detail].flat()));
  return list;
}

const REVOKE_BY = {
  subject: {
    option: 'subject',
    label: 'Subject (sub)',
    button: 'Revoke subject',
    hint: 'Every token of this user from this issuer, issued until now.',
  },
  session: {
    option: 'session id',
    label: 'Session id (sid)',
    button: 'Revoke session',
    hint: 'Every token of this session, issued until now.',
  },
};

/**
 * The form revoking at one issuer by subject or by session id. `revoke(rule, what)` appends the rule
 * and answers the line to show; a failure's message (its error code first) is shown instead.
 */
function revokeForm(issuer, key, name, revoke) {
  const kind = el(
    'select',
    { name: 'kind', id: `revoke-${key}-kind` },
    ...Object.entries(REVOKE_BY).map(([value, by]) => el('option', { value }, by.option)),
  );
  // Labels by `for`, not wrapping: a wrapping label would put the selected option into the select's name.
  const valueLabel = el('label', { htmlFor: `revoke-${key}-value` });
  const value = el('input', {
    name: 'value',
    id: `revoke-${key}-value`,
    // No length bound here: the log's own refusal (ERR_REVOCATION_INVALID, with its limit) is shown.
    required: true,
    autocomplete: 'off',
    spellcheck: false,
  });
  const hint = el('p', { className: 'hint' });
  const submit = el('button', { type: 'submit', className: 'danger' });
  const status = el('p', { className: 'issuer-status' });
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  const form = el(
    'form',
    { className: 'issuer-revoke' },
    el('label', { htmlFor: kind.id }, 'Revoke by'),
    kind,
    valueLabel,
    value,
    submit,
    hint,
    status,
  );
  form.setAttribute('aria-label', `Revoke at ${name}`);
  const show = () => {
    const by = REVOKE_BY[kind.value];
    valueLabel.textContent = by.label;
    submit.textContent = by.button;
    // The accessible name starts with the visible text (WCAG 2.5.3) and names the issuer.
    submit.setAttribute('aria-label', `${by.button} at ${name}`);
    hint.textContent = by.hint;
  };
  kind.addEventListener('change', show);
  show();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const id = value.value.trim();
    if (id === '') return;
    const subject = kind.value === 'subject';
    const question = subject
      ? `Revoke subject "${id}" at ${name}? Every token of that user from this issuer, issued until now, is rejected from now on.`
      : `Revoke session "${id}" at ${name}? Every token of that session is rejected from now on.`;
    if (!confirm(question)) return;
    const rule = subject
      ? { kind: 'subject', iss: issuer.issuer, sub: id }
      : { kind: 'session', iss: issuer.issuer, sid: id };
    submit.disabled = true;
    revoke(rule, `${kind.value} ${short(id, 24)} at ${name}`)
      .then((line) => {
        status.textContent = line;
        status.className = 'issuer-status ok';
        value.value = '';
      })
      .catch((err) => {
        status.textContent = err.message;
        status.className = 'issuer-status bad';
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}

/**
 * One issuer whose tokens this service checks: its identity, key state, last JWKS fetch, lifetime,
 * back-channel logout, and a form revoking at it. `issuer` is in the wire form of `GET /admin/issuers`;
 * the service's own issuer has `own: true`. Every string is set as text (issuers come from
 * configuration, last errors from remote servers), never as markup.
 */
export function issuerCard(issuer, revoke) {
  const name = issuer.own ? 'this service' : issuer.id;
  // Trusted issuer ids are `[a-z0-9-]` (checked by the configuration): safe in an element id.
  const key = issuer.own ? 'own' : `trusted-${issuer.id}`;
  const headingId = `issuer-${key}`;
  const heading = el('h3', { id: headingId }, issuer.own ? 'This service' : issuer.id);
  const card = el(
    'article',
    { className: 'issuer' },
    heading,
    facts([
      ['Issuer (iss)', el('code', {}, issuer.issuer)],
      ['Profile', issuer.profile],
      ['Audience', issuer.audience.join(', ') || '–'],
      ['Keys', issuerState(issuer)],
      ['kids', issuer.kids.length ? issuer.kids.map((kid) => el('code', {}, kid, ' ')) : 'none'],
      [
        'Last JWKS fetch',
        issuer.own
          ? 'its own keys (not fetched)'
          : issuer.keys_fetched_at
            ? when(issuer.keys_fetched_at)
            : 'never',
      ],
      ['JWKS', issuer.jwks_uri ? el('code', {}, issuer.jwks_uri) : 'not known yet'],
      ['Token lifetime', lifetime(issuer.max_token_lifetime_sec)],
      [
        'Back-channel logout',
        issuer.backchannel_logout === null ? 'not applicable' : issuer.backchannel_logout ? 'on' : 'off',
      ],
    ]),
    revokeForm(issuer, key, name, revoke),
  );
  card.setAttribute('aria-labelledby', headingId);
  return card;
}
