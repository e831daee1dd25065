/**
 * Text from the database or a service made safe for a terminal: control characters (C0, DEL, C1 —
 * escape sequences a stored user agent could carry) become `?`.
 *
 * @example
 * ```ts
 * process.stdout.write(`${terminalText(session.device ?? '-')}\n`);
 * ```
 */
export function terminalText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/**
 * JSON for a terminal or a pipe: `JSON.stringify`, with DEL and C1 characters escaped too (JSON
 * escapes only C0), so the output is still valid JSON and carries no raw control character.
 *
 * @example
 * ```ts
 * process.stdout.write(`${terminalJson({ sessions })}\n`);
 * ```
 */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\u009f]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
