// Run by stores-sqlite.test.ts in child processes: opens the session store in the SQLite file given as
// the first argument, waits until the epoch-ms time given as the third, then tries `count` rotations of
// the refresh token whose hash is the second argument at once, and prints their statuses as JSON.
import { SqlSessionStore } from '@revocable/sql';

const [url, hash, startAt, count] = process.argv.slice(2);
if (url === undefined || hash === undefined || startAt === undefined || count === undefined) {
  throw new Error('usage: rotate-at <sqlite file> <token hash> <start at, epoch ms> <count>');
}
const store = await SqlSessionStore.open({ url });
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
const now = Date.now();
const outcomes = await Promise.all(
  Array.from({ length: Number(count) }, (_, i) =>
    store.rotate(
      hash,
      { hash: `next-${process.pid}-${i}`, createdAt: now, expiresAt: now + 3_600_000, consumedAt: null },
      { now, idleExpiresAt: now + 3_600_000, device: null, ip: null },
    ),
  ),
);
process.stdout.write(`${JSON.stringify(outcomes.map((outcome) => outcome.status))}\n`);
await store.close();
