// Run by key-ring-race.test.ts in child processes. Arguments: a database url (SQLite file or PostgreSQL),
// a schema ('-' for none), a number of rounds, and the epoch-ms time of round 0; rounds start every
// ROUND_MS after it. Each round opens a key ring on fresh tables (prefix r<round>_) at the same moment as
// the other children, signs a token with it, and prints one JSON line per round: the kid it signs with,
// every kid it verifies with, and the token.
import { AccessTokenIssuer, KeyRing } from '@revocable/core';
import { openSqlDatabase, SqlKeyStore } from '@revocable/sql';

export const ROUND_MS = 250;

const [url, schemaArg, roundsArg, startAtArg] = process.argv.slice(2);
if (url === undefined || schemaArg === undefined || roundsArg === undefined || startAtArg === undefined) {
  throw new Error('usage: open-rings-at <url> <schema|-> <rounds> <start at, epoch ms>');
}
const schema = schemaArg === '-' ? undefined : schemaArg;
const rounds = Number(roundsArg);
const startAt = Number(startAtArg);
const database = await openSqlDatabase({ url });
// Every round's tables exist before round 0: the race is the ring's, not the migration's.
const stores = [];
for (let round = 0; round < rounds; round++) {
  stores.push(
    await SqlKeyStore.open({ database, tablePrefix: `r${round}_`, ...(schema !== undefined && { schema }) }),
  );
}
const sleepUntil = (at: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
for (let round = 0; round < rounds; round++) {
  await sleepUntil(startAt + round * ROUND_MS);
  const ring = await KeyRing.open({ store: stores[round]!, reloadIntervalMs: 0 });
  const issuer = new AccessTokenIssuer({ keys: ring, issuer: 'https://issuer.test', audience: 'api' });
  const { token } = issuer.issue({ sub: `user-${process.pid}` });
  const signing = ring.signingKey().kid;
  const verifies = ring.list().map((key) => key.kid);
  process.stdout.write(`${JSON.stringify({ round, signing, verifies, token })}\n`);
  await ring.close();
}
for (const store of stores) await store.close();
await database.close();
