/**
 * The HTTP Basic credentials of a confidential client (RFC 6749 §2.3.1: id and secret form-encoded,
 * then Base64), as the service's client-authenticated endpoints take them. Internal to the core.
 *
 * @example
 * ```ts
 * const headers = { authorization: basicAuthorization('orders-api', secret) };
 * ```
 */
export function basicAuthorization(clientId: string, clientSecret: string): string {
  const pair = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}
