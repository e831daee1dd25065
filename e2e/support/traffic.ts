// Load for the end-to-end suites: a paced stream of revocations at the issuer (recording which were
// acknowledged), and verify traffic at the API processes (counting answers by status).
import type { RevocationRule } from '@revocable/core';
import type { ApiServer } from './cluster.js';
import { type IssuerClient, type Token, tokenRule } from './issuer-client.js';

/** A revocation the issuer acknowledged (201 with the event). */
export interface Acknowledged {
  readonly seq: number;
  readonly rule: RevocationRule;
  /** The real token it revokes, if any. */
  readonly token: Token | undefined;
  readonly at: number;
}

export interface RevocationStreamOptions {
  /** Revocations per second to aim for. */
  readonly rate: number;
  /** Most requests in flight. Default 16. */
  readonly maxInFlight?: number;
  /** Real tokens to revoke, one in every `syntheticPerToken + 1` revocations; the rest revoke made-up ids. */
  readonly tokens?: readonly Token[];
  readonly syntheticPerToken?: number;
}

/** Revokes at a steady rate until stopped; a failed request (issuer down) is counted, not retried. */
export class RevocationStream {
  readonly acknowledged: Acknowledged[] = [];
  /** Requests that got no acknowledgement (the revocation may or may not be in the log). */
  readonly unacknowledged: RevocationRule[] = [];
  readonly #client: IssuerClient;
  readonly #options: RevocationStreamOptions;
  readonly #tokens: Token[];
  /** The issuer of made-up ids: the real tokens' one (rules are scoped by `iss`). */
  readonly #iss: string;
  #count = 0;
  #inFlight = 0;
  #stopped = false;
  #done: Promise<void> | undefined;

  constructor(client: IssuerClient, options: RevocationStreamOptions) {
    this.#client = client;
    this.#options = options;
    this.#tokens = [...(options.tokens ?? [])];
    this.#iss = this.#tokens[0]?.iss ?? 'https://synthetic.e2e.example';
  }

  /** Real tokens whose revocation was acknowledged. */
  get revokedTokens(): Token[] {
    return this.acknowledged.flatMap((ack) => (ack.token ? [ack.token] : []));
  }

  get maxSeq(): number {
    return this.acknowledged.reduce((max, ack) => Math.max(max, ack.seq), 0);
  }

  start(): this {
    const started = Date.now();
    const maxInFlight = this.#options.maxInFlight ?? 16;
    const pending = new Set<Promise<void>>();
    this.#done = (async () => {
      while (!this.#stopped) {
        const due = Math.floor(((Date.now() - started) / 1000) * this.#options.rate) - this.#count;
        for (let i = 0; i < due && this.#inFlight < maxInFlight; i++) {
          const one = this.#revokeOne().finally(() => pending.delete(one));
          pending.add(one);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await Promise.all(pending);
    })();
    return this;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }

  async #revokeOne(): Promise<void> {
    const n = this.#count++;
    const every = (this.#options.syntheticPerToken ?? 4) + 1;
    const token = n % every === 0 ? this.#tokens.shift() : undefined;
    const rule: RevocationRule = token
      ? tokenRule(token)
      : {
          kind: 'token',
          iss: this.#iss,
          tokenId: `synthetic-${process.pid}-${Date.now()}-${n}`,
          expiresAt: Date.now() + 600_000,
        };
    this.#inFlight++;
    try {
      const event = await this.#client.revoke(rule, 5000);
      this.acknowledged.push({ seq: event.seq, rule, token, at: Date.now() });
    } catch {
      this.unacknowledged.push(rule);
      if (token) this.#tokens.unshift(token);
    } finally {
      this.#inFlight--;
    }
  }
}

/** Answers by status (`error` for no answer at all). */
export type StatusCounts = Record<string, number>;

/**
 * Sends `GET /resource` with never-revoked tokens to every API process in turn, `concurrency` at a
 * time, at most `rate` requests per second when given.
 */
export class VerifyTraffic {
  readonly counts: StatusCounts = {};
  #stopped = false;
  #done: Promise<void> | undefined;

  constructor(
    readonly apis: () => readonly ApiServer[],
    readonly tokens: readonly Token[],
    readonly concurrency = 4,
    readonly rate?: number,
  ) {}

  get total(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  start(): this {
    let n = 0;
    const started = Date.now();
    const loop = async () => {
      while (!this.#stopped) {
        if (this.rate !== undefined && n >= ((Date.now() - started) / 1000) * this.rate) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          continue;
        }
        const apis = this.apis();
        const api = apis[n % apis.length]!;
        const token = this.tokens[n % this.tokens.length]!;
        n++;
        let key: string;
        try {
          const { status, code } = await api.call(token.token);
          key = code ? `${status} ${code}` : String(status);
        } catch {
          key = 'error';
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        this.counts[key] = (this.counts[key] ?? 0) + 1;
      }
    };
    this.#done = Promise.all(Array.from({ length: this.concurrency }, loop)).then(() => {});
    return this;
  }

  async stop(): Promise<StatusCounts> {
    this.#stopped = true;
    await this.#done;
    return this.counts;
  }
}

/** Mints `count` tokens for distinct users, `concurrency` at a time. */
export async function mintTokens(client: IssuerClient, count: number, label: string, concurrency = 4) {
  const tokens: Token[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) tokens.push(await client.mint(`${label}-${next++}`));
    }),
  );
  return tokens;
}
