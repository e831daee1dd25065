// Benchmark entry point: `npm run bench -- <suite> [--json] [--quick|--full]`. See docs/benchmarks.md.
import { machine, type Suite, type SuiteReport } from './lib/suite.js';

const SUITES = ['verify', 'revocation', 'sessions', 'http', 'propagation', 'status-list', 'edge'] as const;

function printTable(report: SuiteReport): void {
  console.log(`\n${report.suite} — ${machine()} — ${new Date().toISOString()}\n`);
  const width = Math.max(
    ...report.results.map((r) => r.name.length),
    ...Object.keys(report.ratios).map((k) => k.length),
    10,
  );
  console.log(`${'result'.padEnd(width)}  value`);
  for (const r of report.results) console.log(`${r.name.padEnd(width)}  ${format(r.value)} ${r.unit}`);
  console.log(`\n${'ratio'.padEnd(width)}  value      target`);
  for (const [name, value] of Object.entries(report.ratios)) {
    console.log(`${name.padEnd(width)}  ${format(value).padEnd(9)}  ${report.targets?.[name] ?? ''}`);
  }
  for (const note of report.notes ?? []) console.log(`\nnote: ${note}`);
}

function format(value: number): string {
  return Math.abs(value) >= 100
    ? value.toFixed(0)
    : Math.abs(value) >= 1
      ? value.toFixed(2)
      : value.toFixed(3);
}

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--'));
if (!name || !(SUITES as readonly string[]).includes(name)) {
  console.error(`usage: npm run bench -- <${SUITES.join('|')}> [--json] [--quick|--full]`);
  process.exit(2);
}
const mode = args.includes('--quick') ? 'quick' : args.includes('--full') ? 'full' : 'default';
const json = args.includes('--json');
const { run } = (await import(`./${name}.js`)) as { run: Suite };
const report = await run({ mode, log: (line) => process.stderr.write(`${line}\n`) });
if (json) {
  const { targets: _t, notes: _n, ...contract } = report;
  console.log(JSON.stringify(contract));
} else {
  printTable(report);
}
process.exit(0);
