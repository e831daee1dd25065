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

/** What a revocation rule targets, in words; `names` maps a `sub` to its username. */
export function describeRule(rule, names = new Map()) {
  switch (rule.kind) {
    case 'token':
      return `token ${short(rule.token_id)}`;
    case 'session':
      return `session ${short(rule.sid)}`;
    case 'subject':
      return `user ${names.get(rule.sub) ?? short(rule.sub)} (everything before the cutoff)`;
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
