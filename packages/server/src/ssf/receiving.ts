import {
  discoverTransmitter,
  type PollResult,
  SharedSignalsPoller,
  SharedSignalsReceiver,
} from '@revocable/core';
import type { Runtime } from '../runtime.js';
import type { TransmitterNotice } from './transmitter.js';

/** The receiving side, once the transmitter's metadata and keys are known. */
export interface Receiving {
  /** `undefined` until the transmitter has been discovered (the push endpoint answers 503 meanwhile). */
  receiver(): SharedSignalsReceiver | undefined;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Starts receiving from `--ssf-transmitter`: reads its `ssf-configuration` and JWKS (retrying every
 * 5 s until it answers, without holding the service's start), then verifies pushed SETs with them and,
 * with `--ssf-poll-endpoint`, polls. Rules go through the service's revoker; `jti`s through
 * `storage.seenTokens`, so a replay to another process of the service is refused too.
 *
 * @example
 * ```ts
 * const receiving = startReceiving(runtime, notice);
 * ```
 */
export function startReceiving(runtime: Runtime, notice: TransmitterNotice): Receiving | undefined {
  const { transmitter, audience, pollEndpoint, authorization } = runtime.config.sharedSignals;
  if (transmitter === undefined) return undefined;
  let receiver: SharedSignalsReceiver | undefined;
  let poller: SharedSignalsPoller | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const url = new URL(transmitter);
  const discover = async () => {
    try {
      const { metadata, keys } = await discoverTransmitter({
        url,
        allowInsecureLocalhost: url.protocol === 'http:' && LOOPBACK.has(url.hostname),
      });
      if (stopped) return;
      receiver = new SharedSignalsReceiver({
        issuer: metadata.issuer,
        keys,
        audience,
        revoker: runtime.revoker,
        seen: runtime.storage.seenTokens,
        criticalSubjectMembers: metadata.criticalSubjectMembers,
        ...(authorization !== undefined && pollEndpoint === undefined && { authorization }),
      });
      notice('info', { transmitter: metadata.issuer }, 'Receiving Shared Signals from the transmitter.');
      if (pollEndpoint !== undefined) {
        poller = new SharedSignalsPoller({
          receiver,
          endpoint: pollEndpoint,
          authorization,
          onResult: (result: PollResult) => {
            if (!result.accepted) {
              notice('warn', { jti: result.jti.slice(0, 64), err: result.err }, 'A polled SET was refused.');
            }
          },
        });
        poller.start();
      }
    } catch (err) {
      if (stopped) return;
      notice(
        'warn',
        { transmitter: url.origin },
        `The Shared Signals transmitter could not be read: ${(err as Error).message}`.slice(0, 400),
      );
      timer = setTimeout(discover, 5_000);
      timer.unref();
    }
  };
  void discover();
  return {
    receiver: () => receiver,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await poller?.stop();
    },
  };
}
