/**
 * Freezes a parsed JSON value and everything inside it, so a verified result shared through the cache
 * cannot be changed by one caller for the next. Runs once per verified token, never on a cache hit.
 * The value comes from `JSON.parse`: a tree of plain objects and arrays, without cycles; a part that is
 * already frozen is not walked again.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) deepFreeze(value[i]);
    } else {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) deepFreeze(record[key]);
    }
  }
  return value;
}
