import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The packages as a user gets them: `npm run build` once, `npm pack` each workspace, then the six
// tarballs installed together with `npm install ./a.tgz ./b.tgz …` into an empty project under the
// system's temporary folder (no workspace links, no monorepo build around it). There every entry point
// is loaded with `import` and with `require()` (Node's require(esm), for CommonJS projects such as
// NestJS's default), a consumer file is type-checked as ESM and as CommonJS, and the `revocable` bin
// is run with `npx`. Slow (npm install), so it runs in CI (CI=true) or with PACK_TEST=1.

const RUN = process.env.CI === 'true' || process.env.PACK_TEST === '1';
if (!RUN)
  console.warn(
    'e2e/pack-install.test.ts skipped (npm pack + npm install, about a minute). ' +
      'Run it with `PACK_TEST=1 npx vitest run e2e/pack-install.test.ts`; CI=true runs it.',
  );

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const fromRoot = createRequire(join(ROOT, 'package.json'));
const WORKSPACES = ['core', 'sql', 'redis', 'server', 'client', 'edge'] as const;

/** Every entry point of every package, with one export it must have. */
const ENTRIES: Record<string, string> = {
  '@revocable/core': 'Verifier',
  '@revocable/core/internal': 'validateRequests',
  '@revocable/core/express': 'requireAuth',
  '@revocable/core/fastify': 'requireAuth',
  '@revocable/core/hono': 'requireAuth',
  '@revocable/core/fetch': 'withAuth',
  '@revocable/core/koa': 'requireAuth',
  '@revocable/core/nest': 'RevocableGuard',
  '@revocable/core/testing': 'describeSessionStoreContract',
  '@revocable/sql': 'openSqlStorage',
  '@revocable/redis': 'RedisFeedSource',
  '@revocable/server': 'loadConfig',
  '@revocable/server/internal': 'ClientRegistry',
  '@revocable/client': 'RevocableClient',
  '@revocable/edge': 'startEdge',
};
/** Imports vitest, which refuses to load outside a vitest run: loaded by a vitest run in the project. */
const UNDER_VITEST = '@revocable/core/testing';

interface PackResult {
  name: string;
  filename: string;
  files: { path: string }[];
}

type Exports = Record<string, Record<string, string>>;

/**
 * The environment of a child npm or node: this one without what `npm test` and vitest put there
 * (`npm_package_*`, `npm_config_local_prefix`, `VITEST_*`, NODE_ENV=test…), so the scratch project is
 * a project of its own; npm's cache, registry and config files are kept.
 */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = /^npm_config_(cache|registry|userconfig|globalconfig)$/i;
  const drop = /^(npm_|vitest|node_options$|node_env$|init_cwd$|test$)/i;
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (keep.test(key) || !drop.test(key)) env[key] = value;
  return { ...env, ...extra };
}

/** Runs `command`, resolving with its stdout; a failure carries the command's output. */
function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? cleanEnv(),
        timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err)
          reject(
            new Error(`\`${command} ${args.join(' ')}\` failed (${err.message}):\n${stdout}\n${stderr}`, {
              cause: err,
            }),
          );
        else resolve(stdout);
      },
    );
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The version of `name` the repository has installed, so the scratch install comes from npm's cache. */
function rootVersion(name: string): string {
  return JSON.parse(readFileSync(fromRoot.resolve(`${name}/package.json`), 'utf8')).version;
}

/**
 * better-sqlite3 fetches a prebuilt binary from GitHub at install, else compiles SQLite (a minute or
 * more). The binary the repository's own install built is offered to it through prebuild-install's
 * local-prebuilds folder; if the scratch install resolves another version, it compiles as usual.
 */
async function offerSqlitePrebuild(folder: string): Promise<Record<string, string>> {
  const pkg = dirname(fromRoot.resolve('better-sqlite3/package.json'));
  if (!existsSync(join(pkg, 'build', 'Release', 'better_sqlite3.node'))) return {};
  mkdirSync(folder, { recursive: true });
  const name = `better-sqlite3-v${rootVersion('better-sqlite3')}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  await run('tar', ['-czf', join(folder, name), '-C', pkg, 'build/Release/better_sqlite3.node'], {
    cwd: pkg,
  });
  return { npm_config_better_sqlite3_local_prebuilds: folder };
}

/** The source file a built file was compiled from. */
function sourceOf(built: string): string {
  return built.replace(/^dist\//, 'src/').replace(/(\.d)?\.js(\.map)?$|\.d\.ts(\.map)?$/, '.ts');
}

/** Resolves once `url` answers 200; rejects when the process ends first or after `timeoutMs`. */
async function healthy(url: string, child: ChildProcess, output: () => string, timeoutMs = 60_000) {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`revocable serve ended at start:\n${output()}`);
    const status = await fetch(url).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`revocable serve did not answer ${url} within ${timeoutMs} ms:\n${output()}`);
}

describe.skipIf(!RUN)('the packages, packed and installed from their tarballs into an empty project', () => {
  let scratch = '';
  let app = '';
  let packed: PackResult[] = [];
  let serving: ChildProcess | undefined;

  beforeAll(async () => {
    // Made here, not in the describe body, which vitest runs even when the suite is skipped.
    scratch = mkdtempSync(join(tmpdir(), 'revocable-pack-'));
    app = join(scratch, 'app');
    await run('npm', ['run', 'build'], { cwd: ROOT });
    const tarballs = join(scratch, 'tarballs');
    mkdirSync(tarballs);
    const workspaces = WORKSPACES.flatMap((name) => ['-w', `packages/${name}`]);
    packed = JSON.parse(
      await run('npm', ['pack', '--json', ...workspaces, '--pack-destination', tarballs], { cwd: ROOT }),
    );

    mkdirSync(app);
    const { allowScripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    writeFileSync(
      join(app, 'package.json'),
      JSON.stringify({ name: 'revocable-install-check', private: true, allowScripts }, null, 2),
    );
    const prebuild = await offerSqlitePrebuild(join(scratch, 'prebuilds'));
    await run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        ...packed.map((p) => join(tarballs, p.filename)),
        // What a consumer adds: node's types for TypeScript, vitest for the optional `./testing` suites.
        `@types/node@${rootVersion('@types/node')}`,
        `vitest@${rootVersion('vitest')}`,
      ],
      { cwd: app, env: cleanEnv(prebuild), timeoutMs: 200_000 },
    );
  }, 240_000);

  afterAll(() => {
    if (serving?.pid && serving.exitCode === null && serving.signalCode === null) {
      try {
        process.kill(-serving.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it('packs six tarballs of built files, with no tests, databases, secrets or build state', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(WORKSPACES.map((w) => `@revocable/${w}`).sort());
    for (const { name, files } of packed) {
      const paths = files.map((f) => f.path);
      const extra = name === '@revocable/server' ? ['bin/', 'public/'] : [];
      const allowed = (path: string) =>
        ['package.json', 'README.md', 'LICENSE'].includes(path) ||
        ['dist/', 'src/', ...extra].some((folder) => path.startsWith(folder));
      expect(
        paths.filter((path) => !allowed(path)),
        name,
      ).toEqual([]);
      expect(
        paths.filter((path) =>
          /(^|\/)(test|tests|__tests__)\/|\.(test|spec)\.|\.tsbuildinfo$|\.db(-wal|-shm)?$|(^|\/)\.env|\.(pem|key)$|node_modules\//.test(
            path,
          ),
        ),
        name,
      ).toEqual([]);
      // A built file whose source is gone is a leftover of an earlier build: it would ship stale code.
      expect(
        paths.filter((path) => path.startsWith('dist/') && !paths.includes(sourceOf(path))),
        name,
      ).toEqual([]);
      expect(
        paths.filter((path) => path.startsWith('dist/') && path.endsWith('.js')).length,
        name,
      ).toBeGreaterThan(0);
    }
  });

  it('declares, for every entry point, types first and a `default` that is in the tarball', () => {
    const declared: string[] = [];
    for (const { name, files } of packed) {
      const manifest = JSON.parse(readFileSync(join(app, 'node_modules', name, 'package.json'), 'utf8'));
      for (const [subpath, conditions] of Object.entries(manifest.exports as Exports)) {
        declared.push(subpath === '.' ? name : `${name}${subpath.slice(1)}`);
        // `source` (the TypeScript sources, for the repository's own tests and tools) stays ahead of
        // `types` so that in-repo resolution under --conditions=source keeps reaching the sources.
        const order = Object.keys(conditions).filter((c) => c !== 'source');
        expect(order[0], `${name} ${subpath}`).toBe('types');
        expect(order.at(-1), `${name} ${subpath}`).toBe('default');
        for (const condition of ['types', 'default'])
          expect(
            files.map((f) => `./${f.path}`),
            `${name} ${subpath} ${condition}`,
          ).toContain(conditions[condition]);
      }
      for (const bin of Object.values<string>(manifest.bin ?? {}))
        expect(
          files.map((f) => f.path),
          `${name} bin`,
        ).toContain(bin.replace(/^\.\//, ''));
    }
    // A new entry point must be added to ENTRIES, so the checks below load and type-check it too.
    expect(declared.sort()).toEqual(Object.keys(ENTRIES).sort());
  });

  it('loads every entry point with ESM import and with CommonJS require()', async () => {
    const specifiers = Object.keys(ENTRIES).filter((s) => s !== UNDER_VITEST);
    const report =
      'const r = {}; for (const s of process.argv.slice(2)) r[s] = Object.keys(LOAD(s)).sort();' +
      ' process.stdout.write(JSON.stringify(r));';
    writeFileSync(join(app, 'load.mjs'), report.replace('LOAD(s)', 'await import(s)'));
    writeFileSync(join(app, 'load.cjs'), report.replace('LOAD(s)', 'require(s)'));
    const viaImport = JSON.parse(await run(process.execPath, ['load.mjs', ...specifiers], { cwd: app }));
    const viaRequire = JSON.parse(await run(process.execPath, ['load.cjs', ...specifiers], { cwd: app }));
    for (const specifier of specifiers) {
      expect(viaImport[specifier], specifier).toContain(ENTRIES[specifier]);
      expect(viaRequire[specifier], specifier).toEqual(viaImport[specifier]);
    }

    // `./testing` imports vitest, which loads only inside a vitest run: one, in the scratch project.
    writeFileSync(
      join(app, 'testing.test.mjs'),
      [
        "import { createRequire } from 'node:module';",
        "import { expect, test } from 'vitest';",
        `import * as viaImport from '${UNDER_VITEST}';`,
        "test('loads with import and with require()', () => {",
        `  const viaRequire = createRequire(import.meta.url)('${UNDER_VITEST}');`,
        `  expect(Object.keys(viaImport)).toContain('${ENTRIES[UNDER_VITEST]}');`,
        '  expect(Object.keys(viaRequire).sort()).toEqual(Object.keys(viaImport).sort());',
        '});',
      ].join('\n'),
    );
    const vitest = join(app, 'node_modules', 'vitest', 'vitest.mjs');
    await run(process.execPath, [vitest, 'run', '--root', app, 'testing.test.mjs'], { cwd: app });
  }, 60_000);

  it('type-checks a consumer of every entry point, as ESM and as CommonJS (strict, nodenext)', async () => {
    const consumer = [
      ...Object.entries(ENTRIES).map(
        ([specifier, name], i) => `import { ${name} as e${i} } from '${specifier}';`,
      ),
      // Strict: an entry without types is an implicit `any` (TS7016), a missing export TS2305.
      `export const used: readonly unknown[] = [${Object.keys(ENTRIES)
        .map((_, i) => `e${i}`)
        .join(', ')}];`,
    ].join('\n');
    writeFileSync(join(app, 'check.mts'), consumer);
    writeFileSync(join(app, 'check.cts'), consumer);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['check.mts', 'check.cts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: app });
  }, 60_000);

  it('runs `npx revocable --help` from the installed package', async () => {
    const help = await run('npx', ['revocable', '--help'], { cwd: app, timeoutMs: 30_000 });
    expect(help).toMatch(/^Usage: revocable serve/m);
    expect(help).toContain('--database');
  }, 60_000);

  it('serves with `npx revocable serve`: /healthz, /demo and the client, then stops on SIGTERM', async () => {
    const port = await freePort();
    const database = join(scratch, 'data', 'r.db');
    mkdirSync(dirname(database), { recursive: true });
    let output = '';
    // Its own process group, as under a terminal or a supervisor: npx does not pass a SIGTERM sent to
    // it alone on to the server (npm runs the bin under `sh -c`), so the group is signalled.
    const child = spawn(
      'npx',
      ['--no', 'revocable', 'serve', '--port', String(port), '--database', database],
      {
        cwd: app,
        env: cleanEnv(),
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    serving = child;
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    for (const stream of [child.stdout, child.stderr])
      stream.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
    const base = `http://127.0.0.1:${port}`;
    await healthy(`${base}/healthz`, child, () => output);

    const demo = await fetch(`${base}/demo`);
    expect(demo.status).toBe(200);
    expect(demo.headers.get('content-type')).toMatch(/^text\/html/);
    // The pages load the browser SDK from the installed @revocable/client.
    const sdk = await fetch(`${base}/assets/client/index.js`);
    expect(sdk.status).toBe(200);
    expect(await sdk.text()).toContain('RevocableClient');
    expect(existsSync(`${database}-wal`)).toBe(true);

    process.kill(-child.pid!, 'SIGTERM');
    // 'close': every process holding the output pipes, the server included, has ended.
    await closed;
    expect(output).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/);
    expect(output).not.toMatch(/"level":(50|60)/);
    // Closed cleanly: SQLite checkpoints and removes its write-ahead log when the last connection closes.
    expect(existsSync(`${database}-wal`)).toBe(false);
    expect(
      await fetch(`${base}/healthz`).then(
        () => 'answered',
        () => 'refused',
      ),
    ).toBe('refused');
  }, 90_000);
});
