import type { RevocationRule } from '@revocable/core';
import { loadConfig, type ServiceConfig } from '../config.js';
import { type EventWire, eventToWire, type KeyWire, timeFromWire, timeToWire } from '../http/wire.js';
import { AdminApi } from './admin-api.js';
import { parseCommand } from './args.js';
import { CommandError, ServiceRefusal, usageError } from './command-error.js';
import { withRuntime } from './database.js';
import { type RevokeKind, revokeKindOf, tokenTarget } from './revoke-rule.js';
import { USAGE } from './usage.js';

interface RevokeRequest {
  readonly kind: RevokeKind;
  readonly target: string;
  readonly expiresAt: string | undefined;
  readonly actor: string;
}

/**
 * `revocable revoke user <sub> | session <sid> | token <jwt|jti> | key <kid> | issuer <iss>`: writes a
 * revocation through the service's own path — a user's or a session's stored sessions end first, then
 * the rule — either in the database (`--database`; the rule's issuer is `--issuer`, so give the
 * service's) or through a running service's admin API (`--url`).
 *
 * @example
 * ```ts
 * await revoke(['user', 'u-42', '--url', 'http://localhost:3000']);
 * ```
 */
export async function revoke(argv: readonly string[]): Promise<void> {
  const { args, flags, serviceArgs } = parseCommand(argv, {
    usage: USAGE.revoke,
    positionals: ['kind', 'target'],
    flags: { url: 'value', 'expires-at': 'value', actor: 'value' },
  });
  const kind = revokeKindOf(args['kind']!);
  const given = flags['expires-at'];
  if (given !== undefined && kind !== 'token' && kind !== 'key')
    throw usageError(`--expires-at applies to token and key rules, not to ${kind}.`, USAGE.revoke);
  const actorFlag = flags['actor'];
  if (
    typeof actorFlag === 'string' &&
    (actorFlag.length > 190 || /[\u0000-\u001f\u007f-\u009f]/.test(actorFlag))
  )
    throw usageError('--actor must be at most 190 characters, without control characters.', USAGE.revoke);
  const request: RevokeRequest = {
    kind,
    target: args['target']!,
    expiresAt: typeof given === 'string' ? given : undefined,
    actor: typeof actorFlag === 'string' ? `cli:${actorFlag}` : 'cli',
  };
  const config = loadConfig(serviceArgs, process.env);
  const url = flags['url'];
  const outcome =
    typeof url === 'string'
      ? await revokeThroughService(url, config, request)
      : await revokeInDatabase(config, request);
  process.stdout.write(`${outcome}\n`);
}

/** What was revoked, in a line: the rule as the audit trail has it. */
function described(event: EventWire): string {
  const { rule } = event;
  const what =
    rule.kind === 'subject'
      ? `every token of user ${rule.sub} issued until ${rule.cutoff}`
      : rule.kind === 'session'
        ? `session ${rule.sid} (its tokens issued until ${rule.cutoff})`
        : rule.kind === 'issuer'
          ? `every token issued until ${rule.cutoff}`
          : rule.kind === 'key'
            ? `every token signed with key ${rule.kid} (rule kept until ${rule.expires_at})`
            : `token ${rule.kind === 'token' ? rule.token_id : ''} (rule kept until ${rule.expires_at})`;
  return `revoked ${what}, issuer ${rule.iss ?? 'any'}: log seq ${event.seq}, by ${event.actor}.`;
}

async function revokeInDatabase(config: ServiceConfig, request: RevokeRequest): Promise<string> {
  const iss = config.issuer;
  const audit = { reason: 'admin' as const, actor: request.actor };
  const event = await withRuntime(config, USAGE.revoke, async (runtime) => {
    const now = Date.now();
    let rule: RevocationRule;
    switch (request.kind) {
      case 'user':
        rule = { kind: 'subject', iss, sub: request.target, cutoff: now };
        break;
      case 'session':
        if ((await runtime.sessions.get(request.target)) === undefined) throw sessionNotFound(request.target);
        rule = { kind: 'session', iss, sid: request.target, cutoff: now };
        break;
      case 'issuer':
        rule = { kind: 'issuer', iss: request.target, cutoff: now };
        break;
      case 'token': {
        const token = tokenTarget(request.target, request.expiresAt);
        rule = { kind: 'token', iss: token.iss ?? iss, tokenId: token.jti, expiresAt: token.expiresAt };
        break;
      }
      case 'key': {
        const keys = (await runtime.storage.keys.list()).map((r) => ({
          kid: r.kid,
          state: r.state,
          verifyUntil: r.verifyUntil,
        }));
        rule = { kind: 'key', iss, kid: request.target, expiresAt: keyExpiry(request, keys) };
        break;
      }
    }
    return runtime.sessions.applyRule(rule, audit);
  });
  return described(eventToWire(event));
}

async function revokeThroughService(
  url: string,
  config: ServiceConfig,
  request: RevokeRequest,
): Promise<string> {
  const api = await AdminApi.connect(url, config, USAGE.revoke);
  const actor = request.actor;
  if (request.kind === 'session') {
    // The admin API's own way to end one session: 404 for an unknown id, then the same steps.
    await api
      .call('DELETE', `/admin/sessions/${encodeURIComponent(request.target)}`)
      .catch((error: unknown) => {
        if (error instanceof ServiceRefusal && error.serviceCode === 'ERR_SESSION_NOT_FOUND')
          throw sessionNotFound(request.target);
        throw error;
      });
    return `revoked session ${request.target} (ended, its tokens revoked) at ${api.base}.`;
  }
  let rule: Record<string, unknown>;
  switch (request.kind) {
    case 'user':
      rule = { kind: 'subject', iss: await serviceIssuer(api), sub: request.target };
      break;
    case 'issuer':
      rule = { kind: 'issuer', iss: request.target };
      break;
    case 'token': {
      const token = tokenTarget(request.target, request.expiresAt);
      rule = {
        kind: 'token',
        token_id: token.jti,
        expires_at: timeToWire(token.expiresAt),
        ...(token.iss !== undefined && { iss: token.iss }),
      };
      break;
    }
    case 'key': {
      const { keys } = await api.call<{ keys: KeyWire[] }>('GET', '/admin/keys');
      const known = keys.map((k) => ({
        kid: k.kid,
        state: k.state,
        verifyUntil: k.verify_until === null ? undefined : Date.parse(k.verify_until),
      }));
      rule = { kind: 'key', kid: request.target, expires_at: timeToWire(keyExpiry(request, known)) };
      break;
    }
  }
  const event = await api.call<EventWire>('POST', '/admin/revocations', { rule, reason: 'admin', actor });
  return described(event);
}

/** The issuer a running service signs as (its RFC 8414 metadata). */
async function serviceIssuer(api: AdminApi): Promise<string> {
  const metadata = await api.call<{ issuer?: unknown }>('GET', '/.well-known/oauth-authorization-server');
  if (typeof metadata?.issuer !== 'string')
    throw new CommandError('ERR_SERVICE_REFUSED', `${api.base} published no issuer in its metadata.`);
  return metadata.issuer;
}

/**
 * A key rule lasts as long as the key's last token can: a retired key's `verify until`. A key that
 * still signs (active or next) is refused without `--expires-at`: rotate first, or its new tokens
 * would be accepted again once the rule expires.
 */
function keyExpiry(
  request: RevokeRequest,
  keys: ReadonlyArray<{ kid: string; state: string; verifyUntil: number | undefined }>,
): number {
  if (request.expiresAt !== undefined) return timeFromWire(request.expiresAt, '--expires-at');
  const key = keys.find((k) => k.kid === request.target);
  if (key === undefined)
    throw new CommandError(
      'ERR_KEY_NOT_FOUND',
      `No signing key ${JSON.stringify(request.target.slice(0, 128))} is stored: \`revocable keys list\` shows them (for another issuer's key, give --expires-at).`,
    );
  if (key.state !== 'retired' || key.verifyUntil === undefined)
    throw new CommandError(
      'ERR_KEY_IN_USE',
      `Key ${key.kid} is the ${key.state} key and still signs: run \`revocable keys rotate\` (twice for the next key) and revoke it once retired, or give --expires-at.`,
    );
  return key.verifyUntil;
}

function sessionNotFound(sid: string): CommandError {
  return new CommandError(
    'ERR_SESSION_NOT_FOUND',
    `No session ${JSON.stringify(sid.slice(0, 128))}: \`revocable sessions list <sub>\` shows a user's sessions.`,
  );
}
