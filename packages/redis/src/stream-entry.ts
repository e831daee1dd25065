import type { FeedMessage, RevocationEvent } from '@revocable/core';

// Stream layout. Every entry's id is derived from the log: event `seq` n is `n-0`; a heartbeat written
// after event n (the publisher's last published seq) is `n-*` (Redis picks `n-1`, `n-2`, …). So the
// stream is ordered exactly like the log, re-adding an event is refused by Redis (idempotent XADD),
// and a reader can resume from any id it has seen.
//   event:      t=e  e=<the RevocationEvent as JSON>
//               (its rule as the log holds it: a token, allow or key rule written before rules named
//               their issuer has no `iss`, and a replica reads it as matching every issuer)
//   heartbeat:  t=h  s=<the log's lastSeq>  a=<publisher clock, epoch ms>

/** A stream entry id, split: `ms` is the log `seq`, `n` 0 for an event and 1… for heartbeats. */
export interface EntryId {
  readonly seq: number;
  readonly n: bigint;
}

/** The id of the entry holding event `seq`. */
export function eventEntryId(seq: number): string {
  return `${seq}-0`;
}

/** Parses `"<seq>-<n>"`; `undefined` for anything else. */
export function parseEntryId(id: string): EntryId | undefined {
  const match = /^(\d{1,16})-(\d{1,20})$/.exec(id);
  if (!match) return undefined;
  const seq = Number(match[1]);
  return Number.isSafeInteger(seq) ? { seq, n: BigInt(match[2]!) } : undefined;
}

/** Orders two parsed ids like Redis does. */
export function compareEntryIds(a: EntryId, b: EntryId): number {
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  return a.n === b.n ? 0 : a.n < b.n ? -1 : 1;
}

/** The XADD field list of an event. */
export function eventFields(event: RevocationEvent): string[] {
  return ['t', 'e', 'e', JSON.stringify(event)];
}

/** The XADD field list of a heartbeat. */
export function heartbeatFields(lastSeq: number, at: number): string[] {
  return ['t', 'h', 's', String(lastSeq), 'a', String(at)];
}

/** One entry as read back: its id and what it carries (`undefined` when it is not ours). */
export interface StreamEntry {
  readonly id: string;
  readonly message: FeedMessage | undefined;
}

function fieldMap(fields: unknown): Map<string, string> {
  const map = new Map<string, string>();
  if (Array.isArray(fields)) {
    for (let i = 0; i + 1 < fields.length; i += 2) map.set(String(fields[i]), String(fields[i + 1]));
  } else if (fields !== null && typeof fields === 'object') {
    for (const [k, v] of Object.entries(fields)) map.set(k, String(v));
  }
  return map;
}

function isEvent(value: unknown, seq: number): value is RevocationEvent {
  if (value === null || typeof value !== 'object') return false;
  const event = value as Partial<RevocationEvent>;
  return (
    event.seq === seq &&
    typeof event.rule === 'object' &&
    event.rule !== null &&
    typeof event.forgetAfter === 'number'
  );
}

/** Decodes one entry's fields; a malformed or foreign entry decodes to `undefined`, never throws. */
export function decodeEntry(id: string, fields: unknown): StreamEntry {
  const parsed = parseEntryId(id);
  const map = fieldMap(fields);
  if (parsed === undefined) return { id, message: undefined };
  if (map.get('t') === 'e' && parsed.n === 0n) {
    try {
      const event: unknown = JSON.parse(map.get('e') ?? '');
      return { id, message: isEvent(event, parsed.seq) ? { type: 'event', event } : undefined };
    } catch {
      return { id, message: undefined };
    }
  }
  if (map.get('t') === 'h') {
    const seq = Number(map.get('s'));
    const at = Number(map.get('a'));
    if (Number.isSafeInteger(seq) && seq >= 0 && Number.isFinite(at)) {
      return { id, message: { type: 'heartbeat', seq, at } };
    }
  }
  return { id, message: undefined };
}

/** Decodes an XRANGE / XREVRANGE reply: `[[id, fields], …]`. */
export function decodeRange(reply: unknown): StreamEntry[] {
  if (!Array.isArray(reply)) return [];
  const entries: StreamEntry[] = [];
  for (const item of reply) {
    if (Array.isArray(item) && typeof item[0] === 'string') entries.push(decodeEntry(item[0], item[1]));
  }
  return entries;
}

/**
 * Decodes an XREAD reply for one key, in any shape ioredis gives it: RESP2 `[[key, entries]]`, a RESP3
 * map flattened to `[key, entries]` (raw `call` with the default "legacy" mapping), or a map object
 * (`{ key: entries }`, a `Map`). `null` (the block timed out) gives no entries.
 */
export function decodeRead(reply: unknown, key: string): StreamEntry[] {
  if (reply === null || reply === undefined) return [];
  if (reply instanceof Map) return decodeRange(reply.get(key));
  if (Array.isArray(reply)) {
    if (reply.length > 0 && !Array.isArray(reply[0])) {
      for (let i = 0; i + 1 < reply.length; i += 2) {
        if (String(reply[i]) === key) return decodeRange(reply[i + 1]);
      }
      return [];
    }
    for (const item of reply) {
      if (Array.isArray(item) && String(item[0]) === key) return decodeRange(item[1]);
    }
    return [];
  }
  if (typeof reply === 'object') return decodeRange((reply as Record<string, unknown>)[key]);
  return [];
}
