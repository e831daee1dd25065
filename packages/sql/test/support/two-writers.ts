import type { RevocationEvent, RevocationLog, RevocationRequest } from '@revocable/core';

function request(id: string): RevocationRequest {
  return {
    rule: { kind: 'token', iss: 'https://auth.example', tokenId: id, expiresAt: Date.now() + 60_000 },
    reason: 'logout',
    actor: 'system',
  };
}

/**
 * Appends `rounds` batches of 1–3 requests from each of two logs on the same storage, all at once,
 * and resolves every batch with the log that wrote it.
 *
 * @example
 * ```ts
 * const batches = await appendFromBoth(a, b, 40);
 * ```
 */
export async function appendFromBoth(
  a: RevocationLog,
  b: RevocationLog,
  rounds: number,
): Promise<{ writer: 'a' | 'b'; size: number; events: RevocationEvent[] }[]> {
  const jobs = Array.from({ length: rounds }, (_, i) => i).flatMap((i) =>
    (['a', 'b'] as const).map((writer) => {
      const size = ((i + (writer === 'a' ? 0 : 1)) % 3) + 1;
      const log = writer === 'a' ? a : b;
      const batch = Array.from({ length: size }, (_, j) => request(`${writer}${i}-${j}`));
      return log.append(batch).then((events) => ({ writer, size, events }));
    }),
  );
  return Promise.all(jobs);
}
