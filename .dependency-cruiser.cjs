// The import rules of docs/ARCHITECTURE.md ("Folders and what they may import"), checked by
// `npm run lint` and CI. Change a rule only together with that table: the two say the same thing.
//
// Each folder of src/ lists the src/ folders it may import; anything else in src/ or daemon/ is a
// violation. src/errors.ts (the one error type) may be imported from everywhere.
const MAY_IMPORT = {
  config: [],
  mail: [],
  store: ['config'],
  worker: ['config'],
  model: ['config', 'store', 'mail', 'worker'],
  imap: ['config', 'store', 'mail'],
  dataset: ['config', 'store', 'mail', 'model'],
  generate: ['config', 'model'],
  train: ['config', 'store', 'mail', 'dataset', 'model', 'worker', 'generate'],
  drafts: ['config', 'store', 'mail', 'imap', 'dataset', 'model', 'generate', 'worker'],
  report: ['config', 'store', 'dataset', 'model', 'train', 'drafts'],
  demo: ['config', 'store', 'mail', 'imap', 'dataset', 'model', 'generate', 'train', 'worker'],
  cli: [
    'config',
    'store',
    'mail',
    'imap',
    'dataset',
    'model',
    'generate',
    'train',
    'drafts',
    'report',
    'demo',
    'worker',
  ],
};
const FOLDERS = Object.keys(MAY_IMPORT);

const folderRules = FOLDERS.map((folder) => ({
  name: `${folder}-imports`,
  comment: `src/${folder} may import only: ${MAY_IMPORT[folder].join(', ') || 'nothing else in src'} (docs/ARCHITECTURE.md)`,
  severity: 'error',
  from: { path: `^src/${folder}/` },
  to: {
    path: '^(src|daemon)/',
    pathNot: [`^src/${folder}/`, '^src/errors\\.ts$', ...MAY_IMPORT[folder].map((f) => `^src/${f}/`)],
  },
}));

module.exports = {
  forbidden: [
    ...folderRules,
    {
      name: 'nothing-imports-daemon',
      comment: 'daemon/ is a process entry (bin/understudy.js starts it): nothing imports it',
      severity: 'error',
      from: { pathNot: '^daemon/' },
      to: { path: '^daemon/' },
    },
    {
      name: 'daemon-not-cli',
      comment: 'the daemon composes src/, never the CLI',
      severity: 'error',
      from: { path: '^daemon/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'errors-imports-nothing',
      comment: 'src/errors.ts is the root every folder imports: it imports nothing of ours',
      severity: 'error',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^(src|daemon)/' },
    },
    {
      name: 'no-circular',
      comment: 'an import cycle makes load order matter and hides which module owns what',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    // Type-only imports count: a type is part of a module's contract as much as a function.
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'] },
  },
};
