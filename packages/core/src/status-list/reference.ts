import { RevocableError } from '../errors.js';

/**
 * Where a token's status is kept: the `status.status_list` member of a Referenced Token
 * (draft-ietf-oauth-status-list §6.2), checked.
 */
export interface StatusListReference {
  /** The entry of this token in the list. */
  readonly idx: number;
  /** The URI of the Status List Token, and its expected `sub`. */
  readonly uri: string;
}

/**
 * Longest `uri` accepted in a status reference, in characters.
 *
 * @example
 * ```ts
 * if (uri.length > MAX_STATUS_URI_LENGTH) throw new Error('choose a shorter status list URI');
 * ```
 */
export const MAX_STATUS_URI_LENGTH = 2048;

function invalid(message: string): RevocableError {
  return new RevocableError('ERR_CLAIM_INVALID', message, { claim: 'status' });
}

/**
 * The status list reference of a token's claims, or `undefined` when it has none. A `status` claim
 * that is a JSON object holding `status_list` must hold `idx` (a whole number from 0) and `uri` (an
 * absolute URI of at most 2,048 characters): anything else throws `ERR_CLAIM_INVALID` (claim
 * `status`). A `status` claim of another shape (a string some issuers use for other things) carries
 * no reference and is left alone.
 *
 * @example
 * ```ts
 * statusListReferenceOf({ status: { status_list: { idx: 7, uri: 'https://auth.example/statuslists/1' } } });
 * // { idx: 7, uri: 'https://auth.example/statuslists/1' }
 * ```
 */
export function statusListReferenceOf(
  claims: Readonly<Record<string, unknown>>,
): StatusListReference | undefined {
  const status = claims['status'];
  if (typeof status !== 'object' || status === null || Array.isArray(status)) return undefined;
  if (!Object.hasOwn(status, 'status_list')) return undefined;
  const entry = (status as Record<string, unknown>)['status_list'];
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw invalid('The "status.status_list" claim is not a JSON object.');
  }
  const { idx, uri } = entry as Record<string, unknown>;
  if (!Number.isSafeInteger(idx) || (idx as number) < 0) {
    throw invalid('The "status.status_list.idx" claim is not a whole number from 0.');
  }
  if (
    typeof uri !== 'string' ||
    uri.length === 0 ||
    uri.length > MAX_STATUS_URI_LENGTH ||
    !URL.canParse(uri)
  ) {
    throw invalid(
      `The "status.status_list.uri" claim is not an absolute URI of at most ${MAX_STATUS_URI_LENGTH} characters.`,
    );
  }
  return Object.freeze({ idx: idx as number, uri });
}
