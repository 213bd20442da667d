// Type-checks the Python trainer (models/, settings in pyrightconfig.json) with pyright, against the PyTorch the
// training worker would run with: the same interpreter search as src/train/python.ts (findPython), so the stubs
// checked are those of the torch that runs. Run by `npm run lint`; extra arguments go to pyright.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const candidates = [process.env.UNDERSTUDY_PYTHON, '/usr/bin/python3', 'python3', 'python'].filter(Boolean);
const tried = [];
let python = null;
for (const executable of candidates) {
  const r = spawnSync(executable, ['-c', 'import torch, numpy; print(torch.__version__)'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status === 0) {
    python = { executable, torch: r.stdout.trim() };
    break;
  }
  tried.push(`${executable}: ${r.error ? 'not found' : (r.stderr.trim().split('\n').at(-1) ?? 'failed')}`);
}
if (python === null) {
  // Without torch every `import torch` is unresolved and the check would say nothing true about the trainer.
  console.error(
    `pyright: no Python with PyTorch and numpy found (tried ${tried.join('; ')}). Install them ` +
      '(sudo apt-get install python3-torch python3-numpy, or pip install torch numpy in a venv) and, for a venv, ' +
      'set UNDERSTUDY_PYTHON to its python; then run npm run lint again.',
  );
  process.exit(1);
}
console.error(`pyright: checking models/ against ${python.executable} (torch ${python.torch})`);
const pyright = createRequire(import.meta.url).resolve('pyright/index.js');
const r = spawnSync(process.execPath, [pyright, '--pythonpath', python.executable, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
