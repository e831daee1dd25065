/**
 * Reads a fetch `Response` or `Request` body as UTF-8 text, refusing more than `maxBytes`: a declared
 * `Content-Length` above it is refused before reading, and a body that grows past it is cancelled.
 * `tooLarge` makes the error to throw (each caller has its own code and wording).
 *
 * @example
 * ```ts
 * const text = await readBodyWithin(response, 65_536, () => new Error('The JWKS is too large.'));
 * ```
 */
export async function readBodyWithin(
  message: Pick<Response, 'headers' | 'body'>,
  maxBytes: number,
  tooLarge: () => Error,
): Promise<string> {
  const declared = Number(message.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) throw tooLarge();
  if (message.body === null) return '';
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
