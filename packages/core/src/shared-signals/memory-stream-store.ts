import {
  type ClaimedEvents,
  checkStreamId,
  checkStreamNumber,
  MAX_SUBJECT_KEY,
  type QueuedEvent,
  type QueuedEventInput,
  type StreamRecord,
  type StreamStatus,
  type StreamStore,
} from './stream-store.js';

interface Held {
  readonly input: QueuedEventInput;
  readonly position: number;
  readonly queuedAt: number;
  availableAt: number;
  attempts: number;
  acknowledgedAt: number | null;
}

/**
 * A {@link StreamStore} in process memory: one process only, nothing survives a restart (the
 * service's `memory` storage, for tests). Use the SQL store (`storage.streams`) for anything else.
 *
 * @example
 * ```ts
 * const store = new MemoryStreamStore();
 * await store.createStream(stream, 10);
 * ```
 */
export class MemoryStreamStore implements StreamStore {
  readonly #streams = new Map<string, StreamRecord>();
  readonly #queues = new Map<string, Map<string, Held>>();
  readonly #excluded = new Map<string, Set<string>>();
  #positions = 0;
  #cursor = 0;

  async createStream(stream: StreamRecord, maxPerOwner: number): Promise<'created' | 'limit'> {
    checkStreamId(stream.streamId);
    checkStreamId(stream.owner, 'stream owner');
    checkStreamNumber(maxPerOwner, 'maxPerOwner');
    if ((await this.listStreams(stream.owner)).length >= maxPerOwner) return 'limit';
    if (this.#streams.has(stream.streamId)) return 'limit';
    this.#streams.set(stream.streamId, { ...stream, eventsRequested: [...stream.eventsRequested] });
    this.#queues.set(stream.streamId, new Map());
    return 'created';
  }

  async getStream(streamId: string): Promise<StreamRecord | undefined> {
    checkStreamId(streamId);
    return this.#streams.get(streamId);
  }

  async listStreams(owner?: string): Promise<StreamRecord[]> {
    return [...this.#streams.values()].filter((s) => owner === undefined || s.owner === owner);
  }

  async updateStream(
    streamId: string,
    change: Parameters<StreamStore['updateStream']>[1],
  ): Promise<StreamRecord | undefined> {
    checkStreamId(streamId);
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return undefined;
    const next = { ...stream, ...change, eventsRequested: [...change.eventsRequested] };
    this.#streams.set(streamId, next);
    return next;
  }

  async setStatus(
    streamId: string,
    status: StreamStatus,
    reason: string | null,
    now: number,
  ): Promise<StreamRecord | undefined> {
    checkStreamId(streamId);
    checkStreamNumber(now, 'now');
    const stream = this.#streams.get(streamId);
    if (stream === undefined) return undefined;
    const next = { ...stream, status, reason, updatedAt: now };
    this.#streams.set(streamId, next);
    if (status === 'disabled') {
      for (const held of this.#queues.get(streamId)?.values() ?? []) held.acknowledgedAt ??= now;
    }
    return next;
  }

  async deleteStream(streamId: string): Promise<boolean> {
    checkStreamId(streamId);
    this.#queues.delete(streamId);
    this.#excluded.delete(streamId);
    return this.#streams.delete(streamId);
  }

  async enqueue(streamId: string, event: QueuedEventInput, now: number): Promise<boolean> {
    checkStreamId(streamId);
    checkStreamId(event.jti, 'jti');
    checkStreamId(event.dedupeKey, 'dedupe key');
    checkStreamNumber(event.order, 'order');
    checkStreamNumber(now, 'now');
    const stream = this.#streams.get(streamId);
    const queue = this.#queues.get(streamId);
    if (stream === undefined || queue === undefined || stream.status === 'disabled') return false;
    for (const held of queue.values()) if (held.input.dedupeKey === event.dedupeKey) return false;
    if (queue.has(event.jti)) return false;
    queue.set(event.jti, {
      input: event,
      position: ++this.#positions,
      queuedAt: now,
      availableAt: 0,
      attempts: 0,
      acknowledgedAt: null,
    });
    return true;
  }

  async claim(streamId: string, max: number, now: number, leaseMs: number): Promise<ClaimedEvents> {
    checkStreamId(streamId);
    checkStreamNumber(max, 'max');
    checkStreamNumber(now, 'now');
    checkStreamNumber(leaseMs, 'leaseMs');
    const stream = this.#streams.get(streamId);
    if (stream?.status !== 'enabled') return { events: [], moreAvailable: false };
    const available = [...(this.#queues.get(streamId)?.values() ?? [])]
      .filter((held) => held.acknowledgedAt === null && held.availableAt <= now)
      .sort((a, b) => a.input.order - b.input.order || a.queuedAt - b.queuedAt || a.position - b.position);
    const events: QueuedEvent[] = available.slice(0, max).map((held) => {
      held.availableAt = now + leaseMs;
      held.attempts++;
      return { streamId, jti: held.input.jti, set: held.input.set, attempts: held.attempts };
    });
    return { events, moreAvailable: available.length > events.length };
  }

  async release(streamId: string, jti: string, availableAt: number): Promise<void> {
    checkStreamId(streamId);
    checkStreamId(jti, 'jti');
    checkStreamNumber(availableAt, 'availableAt');
    const held = this.#queues.get(streamId)?.get(jti);
    if (held !== undefined && held.acknowledgedAt === null) held.availableAt = availableAt;
  }

  async acknowledge(streamId: string, jtis: readonly string[], now: number): Promise<number> {
    checkStreamId(streamId);
    checkStreamNumber(now, 'now');
    for (const jti of jtis) checkStreamId(jti, 'jti');
    let marked = 0;
    for (const jti of new Set(jtis)) {
      const held = this.#queues.get(streamId)?.get(jti);
      if (held !== undefined && held.acknowledgedAt === null) {
        held.acknowledgedAt = now;
        marked++;
      }
    }
    return marked;
  }

  async excludeSubject(
    streamId: string,
    key: string,
    maxPerStream: number,
  ): Promise<'excluded' | 'limit' | 'not-found'> {
    checkStreamId(streamId);
    checkStreamId(key, 'subject key', MAX_SUBJECT_KEY);
    checkStreamNumber(maxPerStream, 'maxPerStream');
    if (!this.#streams.has(streamId)) return 'not-found';
    const keys = this.#excluded.get(streamId) ?? new Set<string>();
    if (!keys.has(key) && keys.size >= maxPerStream) return 'limit';
    keys.add(key);
    this.#excluded.set(streamId, keys);
    return 'excluded';
  }

  async includeSubject(streamId: string, key: string): Promise<void> {
    checkStreamId(streamId);
    checkStreamId(key, 'subject key', MAX_SUBJECT_KEY);
    this.#excluded.get(streamId)?.delete(key);
  }

  async anyExcluded(streamId: string, keys: readonly string[]): Promise<boolean> {
    checkStreamId(streamId);
    const excluded = this.#excluded.get(streamId);
    return excluded !== undefined && keys.some((key) => excluded.has(key));
  }

  async purgeAcknowledged(before: number): Promise<number> {
    checkStreamNumber(before, 'before');
    let removed = 0;
    for (const queue of this.#queues.values()) {
      for (const [jti, held] of queue) {
        if (held.acknowledgedAt !== null && held.acknowledgedAt < before) {
          queue.delete(jti);
          removed++;
        }
      }
    }
    return removed;
  }

  async cursor(): Promise<number> {
    return this.#cursor;
  }

  async advanceCursor(seq: number): Promise<void> {
    checkStreamNumber(seq, 'seq');
    this.#cursor = Math.max(this.#cursor, seq);
  }
}
