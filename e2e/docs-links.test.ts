import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Every relative link in the repository's Markdown must land on a file or folder inside the
// repository (and on a heading, when it names one of a Markdown file), and nothing may point at
// documents that live outside it: a clone holds only what is in the repository.

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SKIPPED = new Set(['node_modules', 'dist', 'artifacts', 'coverage', '.git', '.bench-results']);
const SOURCE = new Set(['.ts', '.tsx', '.js', '.mjs', '.cjs', '.md', '.json', '.yml', '.yaml']);
// Built here rather than written out, so this file does not match its own check.
const OUTSIDE = [`..${'/'}shared`, ...['ARCHITECTURE', 'BENCHMARKS'].map((name) => `${name}.md`)];

function walk(dir: string, keep: (path: string) => boolean, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, keep, out);
    else if (entry.isFile() && keep(path)) out.push(path);
  }
  return out;
}

/** The text with fenced code blocks blanked and inline code spans replaced by a placeholder. */
function prose(markdown: string): string {
  let fenced = false;
  return markdown
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return '';
      }
      return fenced ? '' : line.replace(/`+[^`]*`+/g, 'code');
    })
    .join('\n');
}

/** Link targets: inline links and images, and reference definitions. */
function targets(markdown: string): string[] {
  const text = prose(markdown);
  const found: string[] = [];
  for (const m of text.matchAll(/\]\(\s*(<[^>]*>|[^\s)]+)(?:\s+"[^"]*")?\s*\)/g)) found.push(m[1]!);
  for (const m of text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*(<[^>]*>|\S+)/gm)) found.push(m[1]!);
  return found.map((t) => (t.startsWith('<') ? t.slice(1, -1) : t));
}

/** GitHub's anchor for a heading's text. */
function slug(heading: string): string {
  return heading
    .replace(/`([^`]*)`/g, '$1')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[*]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a Markdown file offers: its headings (numbered when repeated) and explicit ids. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const base = slug(heading[1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/\b(?:id|name)="([^"]+)"/g)) out.add(m[1]!);
  }
  return out;
}

/** What is wrong with the relative links of one Markdown file under `root`, one line per link. */
function brokenLinks(file: string, root: string): string[] {
  const markdown = readFileSync(file, 'utf8');
  const problems: string[] = [];
  for (const target of targets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue; // https:, mailto:
    const [rawPath = '', anchor] = target.split('#', 2);
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      problems.push(`${target}: not a valid URL`);
      continue;
    }
    const resolved =
      path === '' ? file : resolve(path.startsWith('/') ? root : dirname(file), `.${sep}${path}`);
    if (resolved !== root && !resolved.startsWith(root + sep)) {
      problems.push(`${target}: leaves the repository`);
    } else if (!existsSync(resolved)) {
      problems.push(`${target}: no such file`);
    } else if (anchor && statSync(resolved).isFile() && extname(resolved) === '.md') {
      if (!anchors(readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor))) {
        problems.push(`${target}: no heading #${anchor}`);
      }
    }
  }
  return problems.map((p) => `${relative(root, file)}: ${p}`);
}

describe('links in the documentation', () => {
  const markdownFiles = walk(ROOT, (path) => path.endsWith('.md'));

  it('finds the Markdown files of the repository', () => {
    const names = markdownFiles.map((f) => relative(ROOT, f));
    expect(names).toContain('README.md');
    expect(names).toContain(join('docs', 'architecture.md'));
    expect(names.some((n) => n.split(sep).some((part) => SKIPPED.has(part)))).toBe(false);
  });

  it('resolve to files inside the repository, and to headings that exist', () => {
    expect(markdownFiles.flatMap((file) => brokenLinks(file, ROOT))).toEqual([]);
  });

  it('never point at documents outside the repository', () => {
    const files = walk(ROOT, (path) => SOURCE.has(extname(path)) && !path.endsWith('package-lock.json'));
    const offenders = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return OUTSIDE.filter((needle) => text.includes(needle)).map((n) => `${relative(ROOT, file)}: ${n}`);
    });
    expect(offenders).toEqual([]);
  });
});

describe('the link check itself', () => {
  const root = mkdtempSync(join(tmpdir(), 'revocable-links-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    writeFileSync(join(root, name), text);
    return join(root, name);
  };

  it('accepts good links, so every refusal below is the check at work', () => {
    write('b.md', '# Refresh tokens and logout: what is guaranteed\n\n## `Verifier`, in order\n');
    const a = write(
      'a.md',
      '# A\n[b](b.md#refresh-tokens-and-logout-what-is-guaranteed) [v](./b.md#verifier-in-order) ' +
        '[self](#a) [web](https://example.com/x.md) ![i](b.md)\n```\n[in code](missing.md)\n```\n' +
        '`[inline](missing.md)`\n[ref]: b.md\n',
    );
    expect(brokenLinks(a, root)).toEqual([]);
  });

  it('reports a missing file, a missing heading, and a link out of the repository', () => {
    const a = write('c.md', '[x](nope.md) [y](b.md#nowhere) [z](../outside.md) [r]\n\n[r]: gone/\n');
    expect(brokenLinks(a, root)).toEqual([
      'c.md: nope.md: no such file',
      'c.md: b.md#nowhere: no heading #nowhere',
      'c.md: ../outside.md: leaves the repository',
      'c.md: gone/: no such file',
    ]);
  });
});
