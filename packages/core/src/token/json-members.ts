/**
 * Counts the member names of the top-level object in `json`, which must be text that `JSON.parse`
 * accepted as an object. Compared with `Object.keys(parsed).length`, it reveals duplicate member names,
 * which `JSON.parse` silently resolves to the last value (RFC 7515 §5.2 says to reject them).
 */
export function countTopLevelMembers(json: string): number {
  let depth = 0;
  let count = 0;
  const n = json.length;
  for (let i = 0; i < n; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x22) {
      // Jump to the closing quote: one not preceded by an odd number of backslashes.
      for (;;) {
        const end = json.indexOf('"', i + 1);
        if (end === -1) return -1;
        let slashes = 0;
        while (json.charCodeAt(end - 1 - slashes) === 0x5c) slashes++;
        i = end;
        if ((slashes & 1) === 0) break;
      }
      if (depth === 1) {
        let j = i + 1;
        let e = json.charCodeAt(j);
        while (e === 0x20 || e === 0x09 || e === 0x0a || e === 0x0d) e = json.charCodeAt(++j);
        if (e === 0x3a) count++;
      }
    } else if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return count;
}
