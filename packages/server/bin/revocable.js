#!/usr/bin/env node
// The `revocable` command. Runs the built package (npm run build); see src/cli.ts.
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND' || !String(err.message).includes('dist/cli.js')) throw err;
  console.error(
    'revocable: the package is not built yet. Run `npm run build` at the repository root (`npm start` builds and serves).',
  );
  process.exit(1);
}
await cli.main(process.argv.slice(2));
