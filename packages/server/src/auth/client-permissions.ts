import { RevocableError } from '@revocable/core';

/** What a confidential client may do. */
export type ClientAction = 'introspect' | 'revoke' | 'feed';

/**
 * The issuers an action is granted for: `'*'` (every trusted issuer and the service's own), or a set of
 * trusted-issuer ids where {@link OWN_ISSUER_ID} names the service's own tokens.
 */
export type IssuerGrant = '*' | ReadonlySet<string>;

/** The grants of one confidential client. The feed carries every issuer's rules: granted whole or not. */
export interface ClientPermissions {
  readonly introspect: IssuerGrant;
  readonly revoke: IssuerGrant;
  readonly feed: boolean;
}

/** The id that names the service's own tokens in a grant. */
export const OWN_ISSUER_ID = 'self';

/**
 * What a client gets when nothing says otherwise (clients of `--clients` and `revocable client add`,
 * and file entries without `permissions`): everything about the service's own tokens, nothing about a
 * trusted issuer's. Introspecting or revoking Entra ID tokens is always an explicit grant.
 */
export const DEFAULT_CLIENT_PERMISSIONS: ClientPermissions = Object.freeze({
  introspect: new Set([OWN_ISSUER_ID]),
  revoke: new Set([OWN_ISSUER_ID]),
  feed: true,
});

/**
 * Whether `permissions` grant `action` for the issuer `issuerId` (a trusted issuer's id, or
 * {@link OWN_ISSUER_ID}).
 *
 * @example
 * ```ts
 * allows(DEFAULT_CLIENT_PERMISSIONS, 'revoke', 'entra'); // false
 * ```
 */
export function allows(permissions: ClientPermissions, action: ClientAction, issuerId?: string): boolean {
  if (action === 'feed') return permissions.feed;
  const grant = permissions[action];
  if (grant === '*') return true;
  return issuerId === undefined ? grant.size > 0 : grant.has(issuerId);
}

function invalid(where: string, why: string): RevocableError {
  return new RevocableError('ERR_CONFIG_INVALID', `Invalid configuration: ${where} ${why}`);
}

function grantOf(value: unknown, where: string, issuerIds: ReadonlySet<string>): IssuerGrant {
  if (value === undefined) return new Set();
  if (value === '*') return '*';
  if (!Array.isArray(value) || value.some((id) => typeof id !== 'string')) {
    throw invalid(
      where,
      `must be "*" or an array of issuer ids ("${OWN_ISSUER_ID}" for the service's own tokens).`,
    );
  }
  if (value.includes('*')) return '*';
  for (const id of value as string[]) {
    if (id !== OWN_ISSUER_ID && !issuerIds.has(id)) {
      throw invalid(
        where,
        `names "${id.slice(0, 64)}", which is not a trusted issuer id (nor "${OWN_ISSUER_ID}").`,
      );
    }
  }
  return new Set(value as string[]);
}

/**
 * Checks a client's `permissions` from the configuration file: `{ "introspect": [...], "revoke":
 * [...], "feed": true }`, each list of trusted-issuer ids (`"self"`: the service's own) or `"*"`. A
 * missing action is not granted; a missing `permissions` is {@link DEFAULT_CLIENT_PERMISSIONS}.
 * Throws `ERR_CONFIG_INVALID` naming the field.
 *
 * @example
 * ```ts
 * const grants = permissionsOf({ introspect: ['self', 'entra'], feed: true }, 'clients[0].permissions', new Set(['entra']));
 * ```
 */
export function permissionsOf(
  value: unknown,
  where: string,
  issuerIds: ReadonlySet<string>,
): ClientPermissions {
  if (value === undefined) return DEFAULT_CLIENT_PERMISSIONS;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(where, 'must be an object { introspect?, revoke?, feed? }.');
  }
  const { introspect, revoke, feed, ...rest } = value as Record<string, unknown>;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw invalid(`${where}.${unknown.slice(0, 64)}`, 'is not a known permission.');
  if (feed !== undefined && typeof feed !== 'boolean' && feed !== '*') {
    throw invalid(`${where}.feed`, 'must be true or false: the feed carries every issuer’s rules.');
  }
  return Object.freeze({
    introspect: grantOf(introspect, `${where}.introspect`, issuerIds),
    revoke: grantOf(revoke, `${where}.revoke`, issuerIds),
    feed: feed === true || feed === '*',
  });
}
