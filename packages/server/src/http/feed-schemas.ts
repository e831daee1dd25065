// JSON schemas of the revocation feed's own form (the log's: camelCase members, epoch milliseconds),
// the exception to the wire format of `wire-schemas.ts`: followers in other processes and versions
// parse it (`HttpFeedSource` in `@revocable/core`), so it changes only with a versioned feed format.

const epochMs = { type: 'integer', minimum: 0, description: 'Epoch milliseconds' } as const;
const text = { type: 'string', minLength: 1 } as const;
const scopedIss = {
  type: 'string',
  minLength: 1,
  description: "The rule's issuer; absent for a rule recorded before rules named one (every issuer).",
} as const;

/** An object schema with exactly these members; `optional` ones may be left out. */
function record(properties: Record<string, object>, optional: readonly string[] = []) {
  return {
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties).filter((name) => !optional.includes(name)),
    properties,
  } as const;
}

const kind = (name: string) => ({ type: 'string', enum: [name] }) as const;

/** A revocation rule in the log's form, one schema per kind. */
export const FEED_RULE_SCHEMA = {
  oneOf: [
    record({ kind: kind('token'), iss: scopedIss, tokenId: text, expiresAt: epochMs }, ['iss']),
    record({ kind: kind('allow'), iss: scopedIss, tokenId: text, expiresAt: epochMs }, ['iss']),
    record({ kind: kind('key'), iss: scopedIss, kid: text, expiresAt: epochMs }, ['iss']),
    record({ kind: kind('session'), iss: text, sid: text, cutoff: epochMs }),
    record({ kind: kind('subject'), iss: text, sub: text, cutoff: epochMs }),
    record({ kind: kind('issuer'), iss: text, cutoff: epochMs }),
  ],
} as const;

/** A revocation event in the log's form, as `GET /revocations`, the stream and `POST /revocations` carry it. */
export const FEED_EVENT_SCHEMA = {
  ...record({
    seq: { type: 'integer', minimum: 1 },
    rule: FEED_RULE_SCHEMA,
    reason: { type: 'string' },
    actor: { type: 'string' },
    recordedAt: epochMs,
    forgetAfter: { ...epochMs, description: 'After this no token can match the rule; it may be purged.' },
  }),
  description: "A revocation event in the log's own form (camelCase, epoch milliseconds).",
} as const;

/**
 * A rule as `POST /revocations` takes it: the three kinds an API's logout needs, in the log's form,
 * without a cutoff (the service's clock sets it).
 */
export const CLIENT_RULE_INPUT_SCHEMA = {
  oneOf: [
    record({ kind: kind('token'), iss: text, tokenId: text, expiresAt: epochMs }),
    record({ kind: kind('session'), iss: text, sid: text }),
    record({ kind: kind('subject'), iss: text, sub: text }),
  ],
} as const;
