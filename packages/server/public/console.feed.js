// The live revocation feed for the console. EventSource cannot send the admin credential as a header,
// so the console reads GET /revocations/stream with fetch and parses the Server-Sent Events itself.

/** An incremental text/event-stream parser (as @revocable/core's SseParser): chunks in, whole events out. */
export class SseParser {
  #buffer = '';

  push(chunk) {
    this.#buffer += chunk;
    const events = [];
    for (;;) {
      const match = /\r\n\r\n|\n\n|\r\r/.exec(this.#buffer);
      if (!match) break;
      const block = this.#buffer.slice(0, match.index);
      this.#buffer = this.#buffer.slice(match.index + match[0].length);
      let id;
      let event = 'message';
      const data = [];
      for (const line of block.split(/\r\n|\n|\r/)) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) events.push({ id, event, data: data.join('\n') });
    }
    if (this.#buffer.length > 1_000_000) this.#buffer = '';
    return events;
  }
}

const rfc3339 = (ms) => new Date(ms).toISOString();

/**
 * A feed event in the admin API's wire form (snake_case, RFC 3339 times), as `GET /admin/revocations`
 * answers it. The feed keeps the log's own form (camelCase, epoch ms) because followers in other
 * processes parse it; the console handles one form only.
 */
export function eventFromFeed({ seq, rule, reason, actor, recordedAt, forgetAfter }) {
  const { kind, iss = null, tokenId, kid, sid, sub, expiresAt, cutoff } = rule;
  const wire = { kind, iss };
  if (tokenId !== undefined) wire.token_id = tokenId;
  if (kid !== undefined) wire.kid = kid;
  if (sid !== undefined) wire.sid = sid;
  if (sub !== undefined) wire.sub = sub;
  if (expiresAt !== undefined) wire.expires_at = rfc3339(expiresAt);
  if (cutoff !== undefined) wire.cutoff = rfc3339(cutoff);
  return {
    seq,
    rule: wire,
    reason,
    actor,
    recorded_at: rfc3339(recordedAt),
    forget_after: rfc3339(forgetAfter),
  };
}

/**
 * Follows the feed from `after` (a log seq) until `signal` aborts, reconnecting after a second with
 * `Last-Event-ID` when the stream drops. Calls `onRevocation(event)` for each revocation in log order
 * (in the admin API's wire form, see `eventFromFeed`),
 * `onHeartbeat({ seq, at })` for each heartbeat, and `onStatus(text, live)` when the connection changes.
 */
export async function followFeed({ token, after, signal, onRevocation, onHeartbeat, onStatus }) {
  let last = after;
  while (!signal.aborted) {
    try {
      const response = await fetch('/revocations/stream', {
        headers: { authorization: `Bearer ${token}`, 'last-event-id': String(last) },
        cache: 'no-store',
        signal,
      });
      if (!response.ok || !response.body) throw new Error(`the feed answered ${response.status}`);
      onStatus('connected', true);
      const parser = new SseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const message of parser.push(value)) {
          const data = JSON.parse(message.data);
          if (message.event === 'revocation') {
            last = data.seq;
            onRevocation(eventFromFeed(data));
          } else if (message.event === 'heartbeat') onHeartbeat(data);
        }
      }
      if (!signal.aborted) onStatus('the feed closed; reconnecting…', false);
    } catch (err) {
      if (signal.aborted) return;
      onStatus(`disconnected (${err.message}); reconnecting…`, false);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}
