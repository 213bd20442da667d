// Builds the CLI with esbuild into dist/: the entry points understudy.js (src/cli/main.ts) and
// daemon.js (daemon/entry.ts; bin/understudy.js starts it for `understudy daemon`), and the
// chunks they share. Few large modules instead of hundreds of small ones make every `understudy`
// invocation start ~80 ms faster (measured: --help 230 → 150 ms); code splitting then lets a
// command load only its own code (src/cli/main.ts imports each command when it runs): a no-change
// `understudy sync` compiles ~2.8 MB of JavaScript instead of the whole 4.1 MB CLI.
// Native addons (better-sqlite3, the keyring, onnxruntime and transformers.js, which loads it)
// and pino (which loads worker files by path) stay external and load from node_modules.
import { readdirSync, statSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { build } from 'esbuild';

const outdir = 'dist';
const result = await build({
  entryPoints: { understudy: 'src/cli/main.ts', daemon: 'daemon/entry.ts' },
  outdir,
  bundle: true,
  // Chunks stay in dist/ itself: code that finds files next to it (new URL('./daemon.js',
  // import.meta.url), the trainer's path) works from any chunk.
  splitting: true,
  metafile: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  sourcesContent: false,
  logLevel: 'warning',
  external: [
    'better-sqlite3',
    '@napi-rs/keyring',
    'pino',
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

// Chunk names carry a content hash, so each build leaves the previous build's chunks behind.
// Remove those, but only once they are an hour old: a command started before this build may
// still import its chunks lazily (a command loads its own chunk when it runs).
const written = new Set(Object.keys(result.metafile.outputs).map((f) => basename(f)));
const hourAgo = Date.now() - 3600_000;
for (const name of readdirSync(outdir)) {
  const file = join(outdir, name);
  if (!written.has(name) && /^[a-z0-9-]+-[A-Z0-9]{8}\.js(\.map)?$/.test(name) && statSync(file).mtimeMs < hourAgo)
    unlinkSync(file);
}
