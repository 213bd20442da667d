// What `understudy sync` loads at start, read from the built CLI (dist/, `node scripts/build.mjs`):
// the sync command's code and nothing of the other commands' heavy dependencies (a no-change sync
// is mostly start-up, and start-up is mostly compiling what is loaded), and every file the build
// left outside the bundle on purpose can be found from dist/ at run time.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const dist = resolve(import.meta.dirname, '../../dist');

/** The chunks `file` imports statically (esbuild writes `from"./chunk-X.js"` or `import"./chunk-X.js"`). */
function staticImports(file: string): string[] {
  const code = readFileSync(join(dist, file), 'utf8');
  return [...code.matchAll(/(?:\bfrom|\bimport)\s*"\.\/([\w-]+\.js)"/g)].map((m) => m[1] ?? '');
}

/** The chunks `file` imports with import() (each command's module, loaded when it runs). */
function dynamicImports(file: string): string[] {
  const code = readFileSync(join(dist, file), 'utf8');
  return [...code.matchAll(/\bimport\(\s*"\.\/([\w-]+\.js)"\s*\)/g)].map((m) => m[1] ?? '');
}

/** `entries` and every chunk they import statically: what Node compiles before any of it runs. */
function closure(entries: string[]): Set<string> {
  const seen = new Set<string>();
  const todo = [...entries];
  for (let file = todo.pop(); file; file = todo.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    todo.push(...staticImports(file));
  }
  return seen;
}

/** The source files bundled into `files`, from their source maps (package paths under node_modules/). */
function sources(files: Iterable<string>): string[] {
  const out: string[] = [];
  for (const file of files) {
    const map = JSON.parse(readFileSync(join(dist, `${file}.map`), 'utf8')) as { sources: string[] };
    out.push(...map.sources);
  }
  return out;
}

describe('understudy sync start-up (built CLI)', () => {
  let syncChunk: string;
  let syncFiles: Set<string>;

  beforeAll(() => {
    if (!existsSync(join(dist, 'understudy.js'))) throw new Error('dist/ is not built: run node scripts/build.mjs');
    const chunk = dynamicImports('understudy.js').find((f) => /^sync-[\w]+\.js$/.test(f));
    if (!chunk) throw new Error('dist/understudy.js imports no sync-*.js chunk');
    syncChunk = chunk;
    syncFiles = closure(['understudy.js', syncChunk]);
  });

  it('loads no code of the other commands or of libraries the sync path does not use', () => {
    const bundled = sources(syncFiles);
    // Sanity: the walk found the sync path (imapflow, the store, the config schema).
    for (const needed of [/node_modules\/imapflow\//, /src\/imap\/sync-account\.ts$/, /src\/config\/schema\.ts$/])
      expect(
        bundled.some((s) => needed.test(s)),
        String(needed),
      ).toBe(true);
    const unwanted = [
      /node_modules\/zod\/v4\/locales\/(?!en\.js)/, // zod's error messages in 50 more languages
      /node_modules\/zod\/v4\/classic\/from-json-schema/,
      /node_modules\/iconv-lite\/encodings\/tables\//, // CJK code pages: read when used
      /node_modules\/(mailparser|html-to-text|htmlparser2|franc-min|vega|vega-lite|cli-table3)\//,
      /node_modules\/(onnxruntime-node|onnxruntime-common|@huggingface)\//,
      /src\/(generate|train|dataset|drafts|report|demo)\//,
    ];
    const found = bundled.filter((s) => unwanted.some((u) => u.test(s)));
    console.log(
      `sync start-up: ${syncFiles.size} files, ${bundled.length} sources, ${
        [...syncFiles].reduce((n, f) => n + readFileSync(join(dist, f)).length, 0) / 1000
      } kB; unwanted: ${found.join(', ') || 'none'}`,
    );
    expect(found).toEqual([]);
  });

  it('bundles one copy of libmime (imapflow imports its ESM build, mailsplit requires its CommonJS one)', () => {
    const copies = new Set(
      sources(syncFiles)
        .map((s) => /node_modules\/libmime\/dist\/(esm|cjs)\/libmime\.js$/.exec(s)?.[1])
        .filter(Boolean),
    );
    expect([...copies]).toHaveLength(1);
  });

  it("builds libmime's GBK codec on first use, not when imapflow loads libmime (scripts/build.mjs)", () => {
    const code = [...syncFiles].map((f) => readFileSync(join(dist, f), 'utf8')).join('\n');
    expect(code).not.toMatch(/DBCS_DECODER\s*=\s*[\w.]+\.getCodec\(["']gbk["']\)/);
    expect(code).toMatch(/codec\.decoder\s*===\s*dbcsDecoder\(\)/);
  });

  it('finds every package file the build left outside the bundle from dist/ (iconv-lite code pages)', () => {
    const all = closure(['understudy.js', ...dynamicImports('understudy.js')]);
    const required = new Set<string>();
    for (const file of all)
      for (const m of readFileSync(join(dist, file), 'utf8').matchAll(/require\("(iconv-lite\/[^"]+)"\)/g))
        required.add(m[1] ?? '');
    // Chinese, Japanese and Korean code pages at least.
    expect([...required].filter((r) => /(cp936|cp949|cp950|shiftjis|eucjp)\.json$/.test(r))).toHaveLength(5);
    const fromDist = createRequire(join(dist, 'understudy.js'));
    for (const spec of required) {
      const table = fromDist(spec) as object;
      expect(Object.keys(table).length, spec).toBeGreaterThan(0);
    }
  });
});
