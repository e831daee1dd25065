import { RevocableError } from '../errors.js';
import type { RevocationSnapshot, Unsubscribe } from '../revocation/log.js';
import type { RevocationEvent } from '../revocation/rules.js';
import { refusedCredentials } from './refused-credentials.js';
import { SilenceWatchdog } from './silence-watchdog.js';
import type { FeedMessage, FeedSource } from './source.js';
import { type ServerSentEvent, SseParser } from './sse-parser.js';

/** Options of an {@link HttpFeedSource}. */
export interface HttpFeedSourceOptions {
  /** The service's base URL, e.g. `https://auth.example`. */
  readonly url: string;
  /** Confidential client credentials (HTTP Basic), as configured with `REVOCABLE_CLIENTS`. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** Per-request timeout for snapshot and catch-up reads, ms. Default 5,000. */
  readonly timeoutMs?: number;
  /** Longest wait between reconnection attempts, ms (backoff starts at 100 ms). Default 5,000. */
  readonly maxBackoffMs?: number;
  /**
   * The longest the stream may stay silent (no byte: no event, no heartbeat, not even the response's
   * start) before the connection is taken for dead, ms: the request is aborted and the stream reopened
   * after the last `seq` delivered. Default 6,000: three of the service's 2 s heartbeats.
   */
  readonly heartbeatTimeoutMs?: number;
  /** A `fetch` implementation; defaults to the global one. */
  readonly fetch?: typeof fetch;
}

/**
 * The HTTP feed of `revocable serve` for API servers in other processes: `GET /revocations` for the
 * snapshot and catch-up reads, `GET /revocations/stream` (Server-Sent Events) for live events and
 * heartbeats, resumed with `Last-Event-ID` after any disconnect.
 *
 * A connection can die without closing (a NAT or load balancer forgets it, the network partitions):
 * no byte and no error ever arrive. A watchdog treats silence longer than `heartbeatTimeoutMs` as such
 * a death: it aborts the request, reports `ERR_LOG_UNAVAILABLE` through `onError` and reconnects with
 * `Last-Event-ID`, backing off (100 ms doubling up to `maxBackoffMs`) until a stream delivers a message
 * again; a `200` that then goes silent does not count as a recovery.
 *
 * A snapshot or catch-up read the service answers 401 or 403 (the client id or secret is wrong) throws
 * `ERR_CONFIG_INVALID` naming the client and the fix, never `ERR_LOG_UNAVAILABLE`: it is no outage.
 *
 * @example
 * ```ts
 * const source = new HttpFeedSource({ url: 'https://auth.example', clientId: 'api', clientSecret: process.env.SECRET! });
 * const replica = new Replica();
 * await new ReplicaFollower(replica, source).start();
 * ```
 */
export class HttpFeedSource implements FeedSource {
  readonly #base: string;
  readonly #authorization: string;
  readonly #clientId: string;
  readonly #timeoutMs: number;
  readonly #maxBackoffMs: number;
  readonly #heartbeatTimeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: HttpFeedSourceOptions) {
    this.#base = options.url.replace(/\/$/, '');
    this.#authorization = `Basic ${Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString('base64')}`;
    this.#clientId = options.clientId;
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.#heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 6000;
    this.#fetch = options.fetch ?? fetch;
  }

  async snapshot(): Promise<RevocationSnapshot> {
    const body = (await this.#get('/revocations')) as {
      seq: number;
      taken_at: number;
      events: RevocationEvent[];
    };
    return { seq: body.seq, takenAt: body.taken_at, events: body.events };
  }

  async readAfter(seq: number, limit = 1000): Promise<RevocationEvent[]> {
    const body = (await this.#get(`/revocations?after=${seq}&limit=${limit}`)) as {
      events: RevocationEvent[];
    };
    return body.events;
  }

  follow(
    afterSeq: number,
    onMessage: (message: FeedMessage) => void,
    onError?: (error: unknown) => void,
  ): Unsubscribe {
    let lastSeq = afterSeq;
    let stopped = false;
    let controller: AbortController | undefined;
    const deliver = (sse: ServerSentEvent): void => {
      const data = JSON.parse(sse.data) as unknown;
      if (sse.event === 'revocation') {
        const event = data as RevocationEvent;
        lastSeq = Math.max(lastSeq, event.seq);
        onMessage({ type: 'event', event });
      } else if (sse.event === 'heartbeat') {
        const beat = data as { seq: number; at: number };
        onMessage({ type: 'heartbeat', seq: beat.seq, at: beat.at });
      }
    };
    const run = async () => {
      let backoff = 100;
      while (!stopped) {
        const attempt = new AbortController();
        controller = attempt;
        const watchdog = new SilenceWatchdog(this.#heartbeatTimeoutMs, () =>
          attempt.abort(feedError(`the stream was silent for ${this.#heartbeatTimeoutMs} ms`)),
        );
        let failure: unknown;
        try {
          await this.#stream(lastSeq, attempt.signal, watchdog, (sse) => {
            deliver(sse);
            // A message, not a mere 200, proves the connection works: only then start backoff over.
            backoff = 100;
          });
          failure = feedError('stream ended');
        } catch (err) {
          // An abort by the watchdog surfaces as an AbortError: report why it was aborted instead.
          failure = attempt.signal.aborted ? attempt.signal.reason : err;
        } finally {
          watchdog.stop();
          attempt.abort();
        }
        if (stopped) return;
        onError?.(failure);
        await new Promise((resolve) => setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, this.#maxBackoffMs);
      }
    };
    void run();
    return () => {
      stopped = true;
      controller?.abort();
    };
  }

  /** One stream request, read until it ends or fails; every chunk read feeds the watchdog. */
  async #stream(
    lastSeq: number,
    signal: AbortSignal,
    watchdog: SilenceWatchdog,
    onEvent: (sse: ServerSentEvent) => void,
  ): Promise<void> {
    const response = await this.#fetch(`${this.#base}/revocations/stream`, {
      headers: {
        authorization: this.#authorization,
        accept: 'text/event-stream',
        'last-event-id': String(lastSeq),
        connection: 'close',
      },
      signal,
    });
    if (!response.ok || !response.body) throw feedError(`stream answered ${response.status}`);
    const parser = new SseParser();
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      watchdog.heard();
      for (const sse of parser.push(decoder.decode(chunk, { stream: true }))) onEvent(sse);
    }
  }

  async #get(path: string): Promise<unknown> {
    let response: Response;
    try {
      response = await this.#fetch(this.#base + path, {
        headers: { authorization: this.#authorization, accept: 'application/json', connection: 'close' },
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      throw feedError('the revocation feed is unreachable', cause);
    }
    if (response.status === 401 || response.status === 403) {
      // Wrong credentials are a mistake with a fix, not an outage to wait out.
      await response.body?.cancel().catch(() => {});
      throw refusedCredentials('GET', `${this.#base}/revocations`, response.status, this.#clientId);
    }
    if (!response.ok) throw feedError(`the revocation feed answered ${response.status}`);
    return response.json();
  }
}

function feedError(message: string, cause?: unknown): RevocableError {
  return new RevocableError(
    'ERR_LOG_UNAVAILABLE',
    `Revocation feed: ${message}.`,
    undefined,
    cause === undefined ? undefined : { cause },
  );
}
