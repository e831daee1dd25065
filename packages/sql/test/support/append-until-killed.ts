// Run by sqlite-log.test.ts in child processes: appends batches of 1–3 events to the SQLite file given
// as the first argument and prints "ack <seq> <seq>…" after each acknowledged append. Stops after the
// number of batches given as the second argument, or runs until it is killed.
import { SqlRevocationLog } from '@revocable/sql';

const [url, batches] = process.argv.slice(2);
if (url === undefined) throw new Error('usage: append-until-killed <sqlite file> [batches]');
const limit = batches === undefined ? Number.POSITIVE_INFINITY : Number(batches);
const log = await SqlRevocationLog.open({ url });
for (let i = 0; i < limit; i++) {
  const size = (i % 3) + 1;
  const events = await log.append(
    Array.from({ length: size }, (_, j) => ({
      rule: {
        kind: 'token' as const,
        iss: 'https://auth.example',
        tokenId: `p${process.pid}-${i}-${j}`,
        expiresAt: Date.now() + 60_000,
      },
      reason: 'logout' as const,
      actor: 'system',
    })),
  );
  process.stdout.write(`ack ${events.map((event) => event.seq).join(' ')}\n`);
}
await log.close();
