import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { EdgeError } from './errors.js';

const BASIC = /^Basic +([A-Za-z0-9+/]+=*) *$/i;

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function decoded(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

function refused(): EdgeError {
  return new EdgeError('ERR_CLIENT_AUTH_FAILED', 'Client authentication failed.');
}

/**
 * The confidential clients allowed to introspect at the edge, checked with HTTP Basic (RFC 6749
 * §2.3.1: id and secret form-encoded, then Base64), as Spring Security's introspector sends them.
 * Secrets are compared in constant time; a failure says nothing of which part was wrong.
 *
 * @example
 * ```ts
 * const clients = new IntrospectionClients(new Map([['orders-api', secret]]));
 * clients.authenticate(request.headers.authorization); // the client id, or throws ERR_CLIENT_AUTH_FAILED
 * ```
 */
/** What an unknown client id's secret is compared with: the same one digest as for a known id. */
const UNKNOWN_CLIENT_DIGEST = digest(randomBytes(32).toString('base64url'));

export class IntrospectionClients {
  readonly #secrets: ReadonlyMap<string, Buffer>;
  // Authorization values that authenticated, and their client: a client sends the same one each time.
  readonly #known = new Map<string, string>();

  constructor(secrets: ReadonlyMap<string, string>) {
    this.#secrets = new Map([...secrets].map(([id, secret]) => [id, digest(secret)]));
  }

  /** Whether any client may introspect: without one, the endpoint answers 404. */
  get enabled(): boolean {
    return this.#secrets.size > 0;
  }

  /**
   * The authenticated client's id; `ERR_CLIENT_AUTH_FAILED` (401) otherwise. The pair is taken as
   * RFC 6749 says (form-encoded) and as many clients send it (raw, Spring's RestTemplate among them).
   */
  authenticate(authorization: string | undefined): string {
    const known = authorization === undefined ? undefined : this.#known.get(authorization);
    if (known !== undefined) return known;
    const id = this.#check(authorization);
    if (this.#known.size >= 64) this.#known.clear();
    this.#known.set(authorization!, id);
    return id;
  }

  #check(authorization: string | undefined): string {
    const match = authorization === undefined ? null : BASIC.exec(authorization);
    if (match === null) throw refused();
    const pair = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    if (colon < 0) throw refused();
    const raw = { id: pair.slice(0, colon), secret: pair.slice(colon + 1) };
    const encoded = { id: decoded(raw.id), secret: decoded(raw.secret) };
    let matched: string | undefined;
    for (const { id, secret } of [raw, encoded]) {
      const expected = this.#secrets.get(id) ?? UNKNOWN_CLIENT_DIGEST;
      if (timingSafeEqual(expected, digest(secret)) && this.#secrets.has(id)) matched = id;
    }
    if (matched === undefined) throw refused();
    return matched;
  }
}
