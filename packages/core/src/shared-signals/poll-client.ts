import { RevocableError } from '../errors.js';
import { readBodyWithin } from '../net/read-body.js';
import type { SetErrorCode } from './event-types.js';
import type { SharedSignalsReceiver } from './receiver.js';
import { isTransient, SetProblem, setErrorOf } from './set-problem.js';

/** One RFC 8936 poll request. */
export interface PollRequest {
  /** `jti`s of SETs accepted since the last poll. */
  readonly ack?: readonly string[];
  /** SETs refused since the last poll, by `jti`. */
  readonly setErrs?: Readonly<Record<string, { readonly err: string; readonly description: string }>>;
  /** Most SETs to return; 0 only acknowledges. */
  readonly maxEvents?: number;
  /** `false`: the transmitter may hold the request until a SET is available (long poll). */
  readonly returnImmediately?: boolean;
}

/** The transmitter's answer: SETs by `jti`, and whether more are waiting. */
export interface PollResponse {
  readonly sets: Readonly<Record<string, string>>;
  readonly moreAvailable: boolean;
}

/** How to reach the poll endpoint. */
export interface PollOptions {
  /** Sent as `Authorization` (the credential the transmitter gave for the stream). */
  readonly authorization?: string | undefined;
  /** Default 30,000 ms (a long poll waits). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof globalThis.fetch;
}

const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

function unavailable(message: string, cause?: unknown): RevocableError {
  return new RevocableError('ERR_JWKS_UNAVAILABLE', message, undefined, cause === undefined ? {} : { cause });
}

/**
 * One RFC 8936 poll: POSTs `{ack, setErrs, maxEvents, returnImmediately}` as JSON and reads `{sets,
 * moreAvailable}`. Throws `ERR_JWKS_UNAVAILABLE` (the transmitter is unreachable or answered badly;
 * the message says which, never a SET).
 *
 * @example
 * ```ts
 * const { sets, moreAvailable } = await pollSecurityEvents(endpoint, { ack: ['jti-1'], maxEvents: 10 }, { authorization });
 * ```
 */
export async function pollSecurityEvents(
  endpoint: string,
  request: PollRequest,
  options: PollOptions = {},
): Promise<PollResponse> {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const where = new URL(endpoint).origin;
  let response: Response;
  try {
    response = await fetchImpl(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        ...(options.authorization !== undefined && { authorization: options.authorization }),
      },
      body: JSON.stringify({
        ack: request.ack ?? [],
        ...(request.setErrs !== undefined &&
          Object.keys(request.setErrs).length > 0 && { setErrs: request.setErrs }),
        ...(request.maxEvents !== undefined && { maxEvents: request.maxEvents }),
        returnImmediately: request.returnImmediately ?? true,
      }),
      redirect: 'error',
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
  } catch (cause) {
    throw unavailable(`The poll endpoint at ${where} is unreachable.`, cause);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw unavailable(`The poll endpoint at ${where} answered HTTP ${response.status}.`);
  }
  let body: unknown;
  try {
    body = JSON.parse(
      await readBodyWithin(response, MAX_RESPONSE_BYTES, () => unavailable('The poll answer is too large.')),
    );
  } catch (cause) {
    if (cause instanceof RevocableError) throw cause;
    throw unavailable(`The poll endpoint at ${where} did not answer with JSON.`, cause);
  }
  const { sets, moreAvailable } = (body ?? {}) as { sets?: unknown; moreAvailable?: unknown };
  if (typeof sets !== 'object' || sets === null || Array.isArray(sets)) {
    throw unavailable(`The poll endpoint at ${where} answered without a "sets" object.`);
  }
  const checked: Record<string, string> = {};
  for (const [jti, set] of Object.entries(sets)) if (typeof set === 'string') checked[jti] = set;
  return { sets: checked, moreAvailable: moreAvailable === true };
}

/** Options of a {@link SharedSignalsPoller}. */
export interface SharedSignalsPollerOptions extends PollOptions {
  readonly receiver: SharedSignalsReceiver;
  /** The stream's poll endpoint (`delivery.endpoint_url`, transmitter-supplied). */
  readonly endpoint: string;
  /** SETs asked for per poll. Default 25. */
  readonly maxEvents?: number;
  /** Pause between polls when nothing was waiting, ms. Default 1,000. */
  readonly intervalMs?: number;
  /** `false` (default `true`): ask the transmitter to hold each poll until a SET is available. */
  readonly returnImmediately?: boolean;
  /** Called with what each SET did, or why it was refused (never the SET itself). */
  readonly onResult?: (result: PollResult) => void;
}

/** What one polled SET came to. */
export type PollResult =
  | { readonly jti: string; readonly accepted: true; readonly action: string }
  | {
      readonly jti: string;
      readonly accepted: false;
      readonly err: SetErrorCode | 'temporarily_unavailable';
      readonly description: string;
    };

/**
 * Receives a stream by RFC 8936 polling: each SET goes through the receiver; the next poll
 * acknowledges those accepted (and replays, already acted on) and reports those refused in
 * `setErrs`; a SET that failed for a transient reason (keys or log unreachable) is neither, so the
 * transmitter hands it over again. `pollOnce` is one round; `start` polls until `stop`.
 *
 * @example
 * ```ts
 * const poller = new SharedSignalsPoller({ receiver, endpoint: stream.delivery.endpoint_url, authorization });
 * poller.start();
 * ```
 */
export class SharedSignalsPoller {
  readonly #options: SharedSignalsPollerOptions;
  #ack: string[] = [];
  #setErrs: Record<string, { err: string; description: string }> = {};
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<unknown> | undefined;

  constructor(options: SharedSignalsPollerOptions) {
    if (typeof options?.receiver?.receive !== 'function') {
      throw new RevocableError('ERR_CONFIG_INVALID', 'receiver must be a SharedSignalsReceiver.');
    }
    if (typeof options.endpoint !== 'string' || !URL.canParse(options.endpoint)) {
      throw new RevocableError('ERR_CONFIG_INVALID', 'endpoint must be an absolute URL.');
    }
    this.#options = options;
  }

  /**
   * Polls once: sends pending acknowledgements and errors, receives every SET returned. Resolves what
   * each SET came to and whether more are waiting; rejects `ERR_JWKS_UNAVAILABLE` when the poll
   * failed (the pending acknowledgements are kept for the next one).
   *
   * @example
   * ```ts
   * const { results, moreAvailable } = await poller.pollOnce();
   * ```
   */
  async pollOnce(): Promise<{ results: PollResult[]; moreAvailable: boolean }> {
    const { receiver, endpoint, maxEvents, returnImmediately } = this.#options;
    const ack = this.#ack;
    const setErrs = this.#setErrs;
    const answer = await pollSecurityEvents(
      endpoint,
      { ack, setErrs, maxEvents: maxEvents ?? 25, returnImmediately: returnImmediately ?? true },
      this.#options,
    );
    this.#ack = [];
    this.#setErrs = {};
    const results: PollResult[] = [];
    for (const [jti, set] of Object.entries(answer.sets)) {
      const result = await this.#receive(receiver, jti, set);
      results.push(result);
      this.#options.onResult?.(result);
    }
    return { results, moreAvailable: answer.moreAvailable };
  }

  /** Polls until {@link stop}: at once again while more are waiting, else after `intervalMs`. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    const loop = async () => {
      let again = false;
      try {
        const round = this.pollOnce();
        this.#round = round;
        again = (await round).moreAvailable;
      } catch {
        again = false;
      }
      if (this.#running) this.#timer = setTimeout(loop, again ? 0 : (this.#options.intervalMs ?? 1_000));
    };
    void loop();
  }

  /** Stops polling; resolves when a poll in flight has ended. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#round?.catch(() => undefined);
  }

  async #receive(receiver: SharedSignalsReceiver, jti: string, set: string): Promise<PollResult> {
    try {
      const outcome = await receiver.receive(set);
      this.#ack.push(jti);
      return { jti, accepted: true, action: outcome.action };
    } catch (err) {
      if (
        err instanceof RevocableError &&
        err.code === 'ERR_CLAIM_INVALID' &&
        err.claim === 'jti' &&
        /received before/.test(err.message)
      ) {
        this.#ack.push(jti); // already acted on: acknowledge, so it is not handed over again
        return { jti, accepted: true, action: 'replay' };
      }
      if (isTransient(err)) {
        return {
          jti,
          accepted: false,
          err: 'temporarily_unavailable',
          description: 'The receiver could not decide now.',
        };
      }
      const code =
        err instanceof SetProblem
          ? err.err
          : err instanceof RevocableError
            ? setErrorOf(err)
            : 'invalid_request';
      const description =
        err instanceof SetProblem || err instanceof RevocableError
          ? err.message.slice(0, 300)
          : 'The SET could not be processed.';
      this.#setErrs[jti] = { err: code, description };
      return { jti, accepted: false, err: code, description };
    }
  }
}
