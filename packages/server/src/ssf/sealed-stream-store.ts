import type { KeyEncryption, StreamRecord, StreamStore } from '@revocable/core';

/** The authenticated data a stream's push credential is sealed with: its stream, nothing else. */
const purposeOf = (streamId: string) => `ssf stream ${streamId} authorization_header`;

/**
 * A {@link StreamStore} that keeps each push stream's `authorizationHeader` (the receiver's bearer
 * credential) sealed at rest with the service's key-encryption key (`REVOCABLE_KEY_ENCRYPTION_KEY`),
 * as signing keys are: the database holds an AES-256-GCM envelope bound to the stream id, and callers
 * see the plain header. Everything else passes through unchanged.
 *
 * @example
 * ```ts
 * const streams = keyEncryption ? new SealedStreamStore(storage.streams, keyEncryption) : storage.streams;
 * ```
 */
export class SealedStreamStore implements StreamStore {
  constructor(
    private readonly inner: StreamStore,
    private readonly encryption: KeyEncryption,
  ) {}

  #seal<T extends { authorizationHeader: string | null }>(streamId: string, record: T): T {
    if (record.authorizationHeader === null) return record;
    return {
      ...record,
      authorizationHeader: this.encryption.sealSecret(purposeOf(streamId), record.authorizationHeader),
    };
  }

  #open(record: StreamRecord | undefined): StreamRecord | undefined {
    if (record === undefined || record.authorizationHeader === null) return record;
    return {
      ...record,
      authorizationHeader: this.encryption.openSecret(purposeOf(record.streamId), record.authorizationHeader),
    };
  }

  createStream(stream: StreamRecord, maxPerOwner: number) {
    return this.inner.createStream(this.#seal(stream.streamId, stream), maxPerOwner);
  }
  async getStream(streamId: string) {
    return this.#open(await this.inner.getStream(streamId));
  }
  /**
   * Streams whose credential no key-encryption key opens (a previous key dropped too early) are left
   * out, so one such row cannot stop every other stream's delivery; `getStream` still says why
   * (`ERR_KEY_DECRYPT`).
   */
  async listStreams(owner?: string) {
    const opened: StreamRecord[] = [];
    for (const record of await this.inner.listStreams(owner)) {
      try {
        opened.push(this.#open(record)!);
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'ERR_KEY_DECRYPT') throw err;
      }
    }
    return opened;
  }
  async updateStream(streamId: string, change: Parameters<StreamStore['updateStream']>[1]) {
    return this.#open(await this.inner.updateStream(streamId, this.#seal(streamId, change)));
  }
  async setStatus(...args: Parameters<StreamStore['setStatus']>) {
    return this.#open(await this.inner.setStatus(...args));
  }
  deleteStream(...args: Parameters<StreamStore['deleteStream']>) {
    return this.inner.deleteStream(...args);
  }
  enqueue(...args: Parameters<StreamStore['enqueue']>) {
    return this.inner.enqueue(...args);
  }
  claim(...args: Parameters<StreamStore['claim']>) {
    return this.inner.claim(...args);
  }
  release(...args: Parameters<StreamStore['release']>) {
    return this.inner.release(...args);
  }
  acknowledge(...args: Parameters<StreamStore['acknowledge']>) {
    return this.inner.acknowledge(...args);
  }
  excludeSubject(...args: Parameters<StreamStore['excludeSubject']>) {
    return this.inner.excludeSubject(...args);
  }
  includeSubject(...args: Parameters<StreamStore['includeSubject']>) {
    return this.inner.includeSubject(...args);
  }
  anyExcluded(...args: Parameters<StreamStore['anyExcluded']>) {
    return this.inner.anyExcluded(...args);
  }
  purgeAcknowledged(...args: Parameters<StreamStore['purgeAcknowledged']>) {
    return this.inner.purgeAcknowledged(...args);
  }
  cursor() {
    return this.inner.cursor();
  }
  advanceCursor(...args: Parameters<StreamStore['advanceCursor']>) {
    return this.inner.advanceCursor(...args);
  }
}
