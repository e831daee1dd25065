import { ServiceError } from '../errors.js';

function bad(message: string): ServiceError {
  return new ServiceError('ERR_BAD_REQUEST', message);
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 1024) {
    throw bad(`${what} must be a non-empty string of at most 1024 characters.`);
  }
  return value;
}

/** The key of a user: the issuer and `sub`, length-prefixed so no two pairs share one. */
function userKey(iss: string, sub: string): string {
  return `iss_sub:${iss.length}:${iss}${sub}`;
}

/**
 * The keys a subject of an add/remove subject request (SSF 1.0 §8.1.3) stands for, as the stream
 * store keeps them: `iss_sub` a user, `opaque` a session (what this transmitter's SETs name by an
 * opaque id), `complex` each of its `user` and `session` members. Throws `ERR_BAD_REQUEST` for any
 * other format.
 *
 * @example
 * ```ts
 * subjectKeysOf({ format: 'iss_sub', iss: 'https://auth.example', sub: 'u-1' }); // one key
 * ```
 */
export function subjectKeysOf(subject: unknown): string[] {
  if (typeof subject !== 'object' || subject === null || Array.isArray(subject)) {
    throw bad('subject must be a subject identifier object (RFC 9493).');
  }
  const { format, iss, sub, id, user, session } = subject as Record<string, unknown>;
  switch (format) {
    case 'iss_sub':
      return [userKey(text(iss, 'subject.iss'), text(sub, 'subject.sub'))];
    case 'opaque':
      return [`session:${text(id, 'subject.id')}`];
    case 'complex': {
      const keys = [
        ...(user === undefined ? [] : subjectKeysOf(user)),
        ...(session === undefined ? [] : subjectKeysOf(session)),
      ];
      if (keys.length === 0) throw bad('A complex subject needs a user or a session member.');
      return keys;
    }
    default:
      throw bad('subject.format must be iss_sub, opaque or complex (with user and session members).');
  }
}

/**
 * The keys of the subject of a SET this transmitter sends (see `caepEventOf`): its user and its session.
 *
 * @example
 * ```ts
 * if (await store.anyExcluded(stream.streamId, eventSubjectKeys(caep.subject))) return;
 * ```
 */
export function eventSubjectKeys(subject: Readonly<Record<string, unknown>>): string[] {
  try {
    return subjectKeysOf(subject);
  } catch {
    return [];
  }
}
