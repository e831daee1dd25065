import { FEED_ANSWER, streamAnswer } from './answer-schemas.js';
import { CLIENT_OR_ADMIN_SECURITY, errorAnswer, errorAnswers } from './openapi-schemas.js';

// The documentation of the revocation feed's reads (`GET /revocations`, `GET /revocations/stream`):
// enough for a team to write a follower in another language. The query and header schemas document
// the parameters; the routes parse them themselves (`attachValidation`), with their own messages.

const seqParameter = (description: string) => ({ type: 'integer', minimum: 0, description }) as const;

const BAD_SEQ = errorAnswer(
  400,
  'after, limit or Last-Event-ID is not a whole number >= 0 (ERR_BAD_REQUEST).',
);
const NO_CREDENTIAL = errorAnswer(
  401,
  'No client or admin credential, or a wrong one (ERR_CLIENT_AUTH_FAILED).',
);

/** A client whose grants in the config file leave out `feed` (code ERR_CLIENT_FORBIDDEN). */
const FEED_NOT_GRANTED = errorAnswer(403, 'The client is not granted the feed (ERR_CLIENT_FORBIDDEN).');
/**
 * The schema of `GET /revocations`: a snapshot, or the events after `?after=SEQ`.
 *
 * @example
 * ```ts
 * app.get('/revocations', { schema: FEED_READ_SCHEMA, attachValidation: true }, handler);
 * ```
 */
export const FEED_READ_SCHEMA = {
  tags: ['feed'],
  summary: 'Snapshot of live rules, or the events after ?after=SEQ',
  description:
    "How a follower starts and catches up. Without `after`: a FeedSnapshot, every live rule as the event that wrote it, and the seq it covers. With `after=SEQ`: a FeedCatchUp, the events after SEQ in seq order (at most `limit`). Events are in the log's own form (camelCase members, times in epoch milliseconds), not the snake_case of the rest of the API. A follower loads the snapshot, then follows the stream (GET /revocations/stream with Last-Event-ID: seq) or polls with after=. Answers are Cache-Control: no-store.",
  security: CLIENT_OR_ADMIN_SECURITY,
  querystring: {
    type: 'object',
    properties: {
      after: seqParameter('Answer the events after this seq instead of a snapshot.'),
      limit: seqParameter(
        'With after: at most this many events (default 1000; more than 10000 counts as 10000).',
      ),
    },
  },
  response: {
    200: FEED_ANSWER,
    ...errorAnswers(503),
    400: BAD_SEQ,
    401: NO_CREDENTIAL,
    403: FEED_NOT_GRANTED,
  },
} as const;

/**
 * The schema of `GET /revocations/stream`: Server-Sent Events, described event by event.
 *
 * @example
 * ```ts
 * app.get('/revocations/stream', { schema: feedStreamSchema(2000), attachValidation: true }, handler);
 * ```
 */
export function feedStreamSchema(heartbeatMs: number) {
  const every = `${heartbeatMs / 1000} s`;
  return {
    tags: ['feed'],
    summary: 'Server-Sent Events feed with Last-Event-ID resume and heartbeats',
    description: [
      'The live feed, as Server-Sent Events (text/event-stream, UTF-8). The answer never ends on its own; the service ends it when it shuts down, and a follower reconnects.',
      '',
      "**Where it starts.** After the seq in the `Last-Event-ID` header, else after `?after=SEQ`, else after the newest seq of the log (new events only). To follow from a snapshot, open the stream with `Last-Event-ID: <the snapshot's seq>`: no event is missed or sent twice.",
      '',
      '**What it sends**, each block ending with an empty line:',
      '- first `retry: 1000` (reconnect after 1 s);',
      '- a `revocation` event per event of the log after the start, in increasing seq order, then each new one as it is written: `id: <seq>`, `event: revocation`, `data: <FeedEvent JSON>` on one line;',
      `- a \`heartbeat\` event once caught up, then every ${every}: \`event: heartbeat\`, \`data: <FeedHeartbeat JSON>\` (\`{"seq", "at"}\`), without an \`id:\` line. It says every event up to seq was in the log at \`at\` (epoch ms): a follower that has applied up to seq is fresh as of \`at\`. A follower that hears nothing for several heartbeat periods should treat itself as stale and reconnect.`,
      '',
      '**Resuming.** Reconnect with `Last-Event-ID: <the last revocation id applied>` (EventSource does this itself): the events after it are sent first. The data of each event type is in the `x-sse-events` member of this operation (FeedEvent, FeedHeartbeat).',
      '',
      'Before the stream opens, a refusal is an ordinary JSON error. HEAD answers the headers without opening a stream.',
    ].join('\n'),
    security: CLIENT_OR_ADMIN_SECURITY,
    querystring: {
      type: 'object',
      properties: { after: seqParameter('Start after this seq (when no Last-Event-ID is sent).') },
    },
    headers: {
      type: 'object',
      properties: {
        'last-event-id': seqParameter('Start after this seq: the id of the last revocation event applied.'),
      },
    },
    'x-sse-events': {
      revocation: {
        id: 'The seq of the event.',
        data: { $ref: '#/components/schemas/FeedEvent' },
      },
      heartbeat: {
        data: { $ref: '#/components/schemas/FeedHeartbeat' },
        interval_ms: heartbeatMs,
      },
    },
    response: {
      200: streamAnswer(heartbeatMs),
      ...errorAnswers(503),
      400: BAD_SEQ,
      401: NO_CREDENTIAL,
      403: FEED_NOT_GRANTED,
    },
  } as const;
}
