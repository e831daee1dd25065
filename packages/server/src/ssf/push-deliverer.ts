import { DELIVERY_METHOD, pushSecurityEvent, type StreamStore } from '@revocable/core';
import type { StreamRegistry } from './streams.js';
import type { TransmitterNotice } from './transmitter.js';

/** Waits before push attempt 2, 3, …: then every hour, until a SET has waited a day. */
export const PUSH_RETRY_DELAYS_MS: readonly number[] = [1_000, 4_000, 16_000, 60_000, 300_000, 900_000];
const HOURLY = 3_600_000;
const GIVE_UP_AFTER_ATTEMPTS = PUSH_RETRY_DELAYS_MS.length + 24;
/** How long one process holds SETs it is pushing: longer than a push attempt (5 s timeout) times a batch. */
const LEASE_MS = 120_000;
const BATCH = 20;

/** What the deliverer works with. */
export interface PushDelivererParts {
  readonly store: StreamStore;
  readonly streams: StreamRegistry;
  readonly notice?: TransmitterNotice;
  /** Waits between attempts, ms (tests); default {@link PUSH_RETRY_DELAYS_MS}, then hourly. */
  readonly retryDelaysMs?: readonly number[];
  readonly fetch?: typeof globalThis.fetch;
}

/**
 * Pushes the SETs queued on push streams (RFC 8935), from the store: any process of the service may
 * push any stream's SETs, each SET claimed by one process at a time (see `StreamStore.claim`). A SET
 * is acknowledged in the store once the receiver answers 2xx, or refuses it for good (4xx but 429);
 * otherwise it is released for a retry later (1 s, 4 s, 16 s, 1 min, 5 min, 15 min, then hourly; given
 * up after a day). A restart loses nothing: the queue and each SET's next attempt are in the store.
 *
 * @example
 * ```ts
 * const deliverer = new PushDeliverer({ store, streams, notice });
 * deliverer.wake(); // after queueing
 * ```
 */
export class PushDeliverer {
  readonly #parts: PushDelivererParts;
  #running: Promise<void> | undefined;
  #again = false;
  #failing = false;
  #stopped = false;

  constructor(parts: PushDelivererParts) {
    this.#parts = parts;
  }

  /** Runs a delivery round now (or right after the one running). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    this.#running = this.#round()
      .then(() => {
        this.#failing = false;
      })
      .catch((err: unknown) => {
        // Said once per outage, not once a second.
        if (!this.#failing) {
          this.#parts.notice?.('warn', {}, `Shared Signals push round failed: ${(err as Error).message}`);
        }
        this.#failing = true;
      })
      .finally(() => {
        this.#running = undefined;
        if (this.#again) {
          this.#again = false;
          this.wake();
        }
      });
  }

  /** Stops starting rounds and waits for the one running (its leases end by themselves). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
  }

  async #round(): Promise<void> {
    const streams = (await this.#parts.streams.all()).filter(
      (s) => s.method === DELIVERY_METHOD.push && s.status === 'enabled',
    );
    // allSettled: one stream's failure must not leave the others' loops running unobserved.
    const settled = await Promise.allSettled(
      streams.map(async (stream) => {
        for (;;) {
          if (this.#stopped) return;
          const { events, moreAvailable } = await this.#parts.store.claim(
            stream.streamId,
            BATCH,
            Date.now(),
            LEASE_MS,
          );
          for (const event of events) {
            if (this.#stopped) return;
            await this.#push(stream.streamId, stream.endpointUrl, stream.authorizationHeader, event);
          }
          if (!moreAvailable) return;
        }
      }),
    );
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
  }

  async #push(
    streamId: string,
    endpointUrl: string,
    authorization: string | null,
    event: { readonly jti: string; readonly set: string; readonly attempts: number },
  ): Promise<void> {
    const { store, notice } = this.#parts;
    const result = await pushSecurityEvent(endpointUrl, event.set, {
      authorization: authorization ?? undefined,
      ...(this.#parts.fetch && { fetch: this.#parts.fetch }),
    });
    if (result.delivered) {
      await store.acknowledge(streamId, [event.jti], Date.now());
      return;
    }
    const delays = this.#parts.retryDelaysMs ?? PUSH_RETRY_DELAYS_MS;
    const giveUp = !result.retry || event.attempts >= GIVE_UP_AFTER_ATTEMPTS;
    if (giveUp) {
      await store.acknowledge(streamId, [event.jti], Date.now());
      notice?.(
        'warn',
        {
          stream_id: streamId,
          jti: event.jti,
          status: result.status,
          err: result.err,
          attempts: event.attempts,
        },
        result.retry ? 'A SET could not be pushed; given up.' : 'The receiver refused a pushed SET.',
      );
      return;
    }
    const wait = delays[event.attempts - 1] ?? HOURLY;
    await store.release(streamId, event.jti, Date.now() + wait);
  }
}
