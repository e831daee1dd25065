/**
 * Freezes a parsed JSON object and every object or array inside it, so a verified result shared
 * through the cache cannot be changed by one caller for the next. Runs once per verified token, never
 * on a cache hit. The value comes from `JSON.parse`: a tree of plain objects and arrays, without
 * cycles. Only object members are walked (`for…in`, no key array), and a part that is already frozen
 * is not walked again: for the usual flat claims this costs little more than one `Object.freeze`.
 */
export function deepFreeze<T extends object>(value: T): T {
  Object.freeze(value);
  const record = value as Record<string, unknown>;
  for (const key in record) {
    const member = record[key];
    if (typeof member === 'object' && member !== null && !Object.isFrozen(member)) deepFreeze(member);
  }
  return value;
}
