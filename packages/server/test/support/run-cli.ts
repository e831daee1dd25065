// The `revocable` command line from source, for tests that need it in another process:
// node --conditions=source --import tsx run-cli.ts keys rotate --database …
import { main } from '@revocable/server';

await main(process.argv.slice(2));
