#!/usr/bin/env node
// The `revocable` command. Runs the built package (npm run build); see src/cli.ts.
const { main } = await import('../dist/cli.js');
await main(process.argv.slice(2));
