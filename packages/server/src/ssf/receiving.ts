import {
  discoverTransmitter,
  type PollResult,
  SharedSignalsPoller,
  SharedSignalsReceiver,
} from '@revocable/core';
import type { Runtime } from '../runtime.js';
import type { TransmitterNotice } from './transmitter.js';
import type { TransmitterConfig } from './transmitters-config.js';

/** The receiving side of one transmitter, once its metadata and keys are known. */
export interface Receiving {
  /** The transmitter's id in the configuration (`default` for the `--ssf-*` flags). */
  readonly id: string;
  /** Its issuer once read (`undefined` before). */
  issuer(): string | undefined;
  /** `undefined` until the transmitter has been discovered (the push endpoint answers 503 meanwhile). */
  receiver(): SharedSignalsReceiver | undefined;
  stop(): Promise<void>;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Starts receiving from each configured transmitter (see `startReceivingFrom`).
 *
 * @example
 * ```ts
 * const receivings = startReceiving(runtime, notice);
 * ```
 */
export function startReceiving(runtime: Runtime, notice: TransmitterNotice): Receiving[] {
  return runtime.config.sharedSignals.transmitters.map((t) => startReceivingFrom(runtime, t, notice));
}

/**
 * Starts receiving from one transmitter: reads its `ssf-configuration` and JWKS (retrying every 5 s
 * until it answers, without holding the service's start), then verifies pushed SETs with them and,
 * with a poll endpoint, polls. Rules go through the service's revoker; `jti`s through
 * `storage.seenTokens`, so a replay to another process of the service is refused too.
 *
 * @example
 * ```ts
 * const receiving = startReceivingFrom(runtime, runtime.config.sharedSignals.transmitters[0]!, notice);
 * ```
 */
export function startReceivingFrom(
  runtime: Runtime,
  config: TransmitterConfig,
  notice: TransmitterNotice,
): Receiving {
  const { id, configurationUrl: transmitter, audience, pollEndpoint, authorization } = config;
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
      notice('info', { transmitter: metadata.issuer, id }, 'Receiving Shared Signals from the transmitter.');
      if (pollEndpoint !== undefined) {
        poller = new SharedSignalsPoller({
          receiver,
          endpoint: pollEndpoint,
          authorization,
          onResult: (result: PollResult) => {
            if (!result.accepted) {
              notice(
                'warn',
                { id, jti: result.jti.slice(0, 64), err: result.err },
                'A polled SET was refused.',
              );
            }
          },
        });
        poller.start();
      }
    } catch (err) {
      if (stopped) return;
      notice(
        'warn',
        { transmitter: url.origin, id },
        `The Shared Signals transmitter could not be read: ${(err as Error).message}`.slice(0, 400),
      );
      timer = setTimeout(discover, 5_000);
      timer.unref();
    }
  };
  void discover();
  return {
    id,
    issuer: () => receiver?.issuer,
    receiver: () => receiver,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await poller?.stop();
    },
  };
}
