// Builds the CLI with esbuild into dist/: the entry points understudy.js (src/cli/main.ts) and
// daemon.js (daemon/entry.ts; bin/understudy.js starts it for `understudy daemon`), each with
// its own chunks. Few large modules instead of hundreds of small ones make every `understudy`
// invocation start ~80 ms faster (measured: --help 230 → 150 ms); code splitting then lets a
// command load only its own code (src/cli/main.ts imports each command when it runs), so a
// no-change `understudy sync` compiles the sync code and not the report's, the demo's or the
// trainer's. Start-up is mostly compiling JavaScript, and that cost follows its size: the output
// is minified (whitespace and syntax; names are kept as written, and the source maps still map).
// Native addons (better-sqlite3, the keyring, onnxruntime and transformers.js, which loads it)
// stay external and load from node_modules. pino is bundled: loaded from node_modules it was a
// dozen CommonJS files resolved one by one (~40 ms of every start, imapflow imports it too);
// its transports, the part that loads worker files by path, are not used here.
import { existsSync, readdirSync, readFileSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

/**
 * One copy of each of libmime, libqp and libbase64: they ship an ESM and a CommonJS build, and
 * imapflow and our src/mail import the first while mailsplit (imapflow's) requires the second, so
 * every sync compiled and ran both (~110 KB, libmime's charset set-up twice). An import of them
 * resolves as a require does; esbuild gives the default import module.exports, as Node does.
 */
const oneMimeCopy = {
  name: 'one-mime-copy',
  setup(b) {
    b.onResolve({ filter: /^(libmime|libqp|libbase64)(\/.*)?$/ }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import'
        ? b.resolve(args.path, { kind: 'require-call', resolveDir: args.resolveDir, importer: args.importer })
        : undefined,
    );
  },
};

/**
 * libmime's charset module (5.6) builds iconv-lite's whole GBK codec when it is loaded, only to
 * hold its decoder for an identity check (`codec.decoder === DBCS_DECODER`, "is this a double-byte
 * codec?") made when a stream decoder is created: the encode table it fills is ~30 ms of every
 * start (imapflow imports libmime), and it needs the code pages left outside the bundle. The check
 * now builds it on first use; iconv-lite caches codecs, so it is the same decoder object. When a
 * libmime release changes these lines the build says so and bundles the module as it is.
 */
const libmimeLazyGbk = {
  name: 'libmime-lazy-gbk',
  setup(b) {
    b.onLoad({ filter: /[\\/]libmime[\\/]dist[\\/]cjs[\\/]charset\.js$/ }, (args) => {
      const code = readFileSync(args.path, 'utf8');
      const eager = "const DBCS_DECODER = iconv_lite_1.default.getCodec('gbk').decoder;";
      const check = 'codec.decoder === DBCS_DECODER';
      if (!code.includes(eager) || !code.includes(check)) {
        console.warn(`scripts/build.mjs: ${args.path} changed; its GBK codec is built at every start again`);
        return undefined;
      }
      const lazy =
        "let DBCS_DECODER_BUILT; const dbcsDecoder = () => (DBCS_DECODER_BUILT ??= iconv_lite_1.default.getCodec('gbk').decoder);";
      return { contents: code.replace(eager, lazy).replaceAll(check, 'codec.decoder === dbcsDecoder()'), loader: 'js' };
    });
  },
};

/**
 * iconv-lite's code pages for Chinese, Japanese and Korean (~400 KB of JSON) are read from
 * node_modules when a message in one of them is decoded, not compiled into the bundle that every
 * `understudy` start loads. iconv-lite requires them lazily itself; only the top-level copy is
 * left outside (the one `require` from dist/ finds), a nested one stays bundled.
 */
const iconvTablesOutside = {
  name: 'iconv-tables-outside',
  setup(b) {
    b.onResolve({ filter: /^\.\/tables\/[\w-]+\.json$/ }, (args) => {
      const top = join(process.cwd(), 'node_modules', 'iconv-lite', 'encodings');
      // esbuild reports the real path: node_modules may be a link (a checkout sharing another's).
      if (args.resolveDir !== top && (!existsSync(top) || args.resolveDir !== realpathSync(top))) return undefined;
      return { path: `iconv-lite/encodings/tables/${basename(args.path)}`, external: true };
    });
  },
};

const outdir = 'dist';
/** esbuild options for one entry point (its chunks are its own: see below). */
const options = (entryPoints) => ({
  entryPoints,
  outdir,
  bundle: true,
  minifyWhitespace: true,
  minifySyntax: true,
  // Chunks stay in dist/ itself: code that finds files next to it (new URL('./daemon.js',
  // import.meta.url), the trainer's path) works from any chunk.
  splitting: true,
  metafile: true,
  plugins: [oneMimeCopy, iconvTablesOutside, libmimeLazyGbk],
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
  external: [
    'better-sqlite3',
    '@napi-rs/keyring',
    'onnxruntime-node',
    'onnxruntime-common',
    '@huggingface/transformers',
    // understudy report: vega is large and loaded only by that command; resvg is a native addon.
    'vega',
    'vega-lite',
    '@resvg/resvg-js',
    'sharp',
  ],
  // Bundled CommonJS dependencies call require(); give every ESM output file one.
  banner: {
    js: "import { createRequire as __understudyRequire } from 'node:module';\nconst require = __understudyRequire(import.meta.url);",
  },
});
// Two builds, not one with two entry points: chunks shared by the CLI and the daemon hold the
// union of what either imports, so one `import { z } from 'zod'` in the daemon put all of zod
// (730 KB, its locales and JSON-schema code) into the chunk every `understudy sync` loads. The
// daemon, started by bin/understudy.js after the CLI entry, then compiles its own copy of the
// shared code: its errors reach the CLI as another class's instances (isUnderstudyError).
const results = await Promise.all([
  build(options({ understudy: 'src/cli/main.ts' })),
  build(options({ daemon: 'daemon/entry.ts' })),
]);

// Chunk names carry a content hash, so each build leaves the previous build's chunks behind.
// Remove those, but only once they are an hour old: a command started before this build may
// still import its chunks lazily (a command loads its own chunk when it runs).
const written = new Set(results.flatMap((r) => Object.keys(r.metafile.outputs)).map((f) => basename(f)));
const hourAgo = Date.now() - 3600_000;
for (const name of readdirSync(outdir)) {
  const file = join(outdir, name);
  if (!written.has(name) && /^[a-z0-9-]+-[A-Z0-9]{8}\.js(\.map)?$/.test(name) && statSync(file).mtimeMs < hourAgo)
    unlinkSync(file);
}
