import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

// The README's Angular and React examples, compiled against this package's real types. Angular and
// React are not installed here: the few of their APIs the snippets use are declared below, as
// Angular 17+ and React 18+ type them. rxjs is real.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README = readFileSync(join(ROOT, 'packages/client/README.md'), 'utf8');

const STUBS: Record<string, string> = {
  'angular-core.d.ts': `
    export interface Type<T> { new (...args: any[]): T }
    export declare function Injectable(options?: { providedIn?: 'root' | null }): ClassDecorator;
    export declare function inject<T>(token: Type<T>): T;
    export interface WritableSignal<T> { (): T; set(value: T): void; update(fn: (value: T) => T): void }
    export declare function signal<T>(initial: T): WritableSignal<T>;`,
  'angular-http.d.ts': `
    import type { Observable } from 'rxjs';
    export declare class HttpRequest<T> {
      readonly url: string;
      readonly body: T | null;
      clone(update: { setHeaders?: { [name: string]: string | string[] } }): HttpRequest<T>;
    }
    export declare class HttpResponse<T> { readonly status: number; readonly body: T | null }
    export type HttpEvent<T> = HttpResponse<T> | { readonly type: 0 };
    export declare class HttpErrorResponse implements Error {
      readonly name: 'HttpErrorResponse';
      readonly message: string;
      readonly status: number;
      readonly error: any;
    }
    export type HttpHandlerFn = (req: HttpRequest<unknown>) => Observable<HttpEvent<unknown>>;
    export type HttpInterceptorFn = (req: HttpRequest<unknown>, next: HttpHandlerFn) => Observable<HttpEvent<unknown>>;`,
  'react.d.ts': `
    export type Dispatch<A> = (value: A) => void;
    export type SetStateAction<S> = S | ((previous: S) => S);
    export declare function useState<S>(initial: S | (() => S)): [S, Dispatch<SetStateAction<S>>];
    export declare function useEffect(effect: () => void | (() => void), deps?: readonly unknown[]): void;
    export declare function useSyncExternalStore<Snapshot>(
      subscribe: (onStoreChange: () => void) => () => void,
      getSnapshot: () => Snapshot,
      getServerSnapshot?: () => Snapshot,
    ): Snapshot;`,
  'react-jsx-runtime.d.ts': `
    interface Attributes { children?: unknown; [name: string]: unknown }
    interface SyntheticEvent<T> { readonly currentTarget: T; preventDefault(): void }
    export namespace JSX {
      interface Element {}
      interface ElementChildrenAttribute { children: {} }
      interface IntrinsicElements {
        form: Attributes & { onSubmit?: (event: SyntheticEvent<HTMLFormElement>) => void };
        button: Attributes & { type?: 'button' | 'submit' | 'reset'; onClick?: (event: SyntheticEvent<HTMLButtonElement>) => void };
        input: Attributes & { name?: string; type?: string; autoComplete?: string; required?: boolean };
        [name: string]: Attributes;
      }
    }
    export declare const Fragment: unique symbol;
    export declare function jsx(type: any, props: any, key?: string): JSX.Element;
    export declare function jsxs(type: any, props: any, key?: string): JSX.Element;`,
};

/** The fenced block of `lang` that follows `heading`. */
function block(heading: string, lang: string): string {
  const section = README.slice(README.indexOf(`\n${heading}\n`));
  const match = new RegExp('```' + lang + '\\n([\\s\\S]*?)```').exec(section);
  if (!match?.[1]) throw new Error(`No \`\`\`${lang} block after "${heading}" in the README.`);
  return match[1];
}

/** Splits a snippet at its `// file.ts` comment lines into files. */
function files(snippet: string): Record<string, string> {
  const out: Record<string, string> = {};
  let name = 'snippet.ts';
  for (const line of snippet.split('\n')) {
    const start = /^\/\/ ([\w.-]+\.tsx?)$/.exec(line);
    if (start?.[1]) name = start[1];
    else out[name] = `${out[name] ?? ''}${line}\n`;
  }
  return out;
}

const work = mkdtempSync(join(tmpdir(), 'revocable-readme-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
/** The last program: TypeScript reuses its unchanged files (the DOM library), which keeps each compile quick. */
let previous: ts.Program | undefined;

function compile(sources: Record<string, string>): string[] {
  const roots: string[] = [];
  for (const [name, text] of Object.entries({ ...STUBS, ...sources })) {
    const path = join(work, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    if (name in sources) roots.push(path);
  }
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    jsx: ts.JsxEmit.ReactJSX,
    experimentalDecorators: true,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
    types: [],
    paths: {
      '@revocable/client': [join(ROOT, 'packages/client/src/index.ts')],
      rxjs: [join(ROOT, 'node_modules/rxjs/dist/types/index.d.ts')],
      '@angular/core': [join(work, 'angular-core.d.ts')],
      '@angular/common/http': [join(work, 'angular-http.d.ts')],
      react: [join(work, 'react.d.ts')],
      'react/jsx-runtime': [join(work, 'react-jsx-runtime.d.ts')],
    },
  };
  const program = ts.createProgram(roots, options, undefined, previous);
  previous = program;
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => `${d.file?.fileName ?? ''}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

describe('the README examples', () => {
  it('compile: the Angular service and interceptor', { timeout: 60_000 }, () => {
    const angular = files(block('## Angular', 'ts'));
    expect(Object.keys(angular)).toEqual(['auth.ts']);
    expect(compile({ 'angular/auth.ts': angular['auth.ts']! })).toEqual([]);
  });

  it('compile: the React store hook and components', { timeout: 60_000 }, () => {
    const react = files(block('## React', 'tsx'));
    expect(Object.keys(react)).toEqual(['auth.ts', 'App.tsx']);
    expect(compile({ 'react/auth.ts': react['auth.ts']!, 'react/App.tsx': react['App.tsx']! })).toEqual([]);
  });

  it('catch a wrong SDK call (the check is not vacuous)', { timeout: 60_000 }, () => {
    const wrong = files(block('## React', 'tsx'))['auth.ts']!.replace('auth.restore()', 'auth.restore(1)');
    expect(compile({ 'wrong/auth.ts': wrong }).join('\n')).toMatch(/Expected 0 arguments/);
  });

  it('use same-origin URLs, with a dev-server proxy for /auth and /api', () => {
    for (const [heading, lang] of [
      ['## Angular', 'ts'],
      ['## React', 'tsx'],
    ] as const) {
      const code = block(heading, lang);
      expect(code, heading).not.toMatch(/https?:\/\//);
      expect(code, heading).toContain('new RevocableClient()');
    }
    const proxy = JSON.parse(block('## Angular', 'json')) as Record<string, { target: string }>;
    expect(Object.keys(proxy).sort()).toEqual(['/api', '/auth']);
    expect(README).not.toMatch(/API_ORIGIN/);
  });
});
