// The issuer as its own process: `revocable serve` (the CLI's `main`) run from the TypeScript sources,
// so the end-to-end suites need no build. Arguments are the CLI's, e.g. `serve --port 3000 --redis …`.
import { main } from '../../packages/server/src/cli.js';

await main(process.argv.slice(2));
