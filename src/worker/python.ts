// Finds a Python that can import torch and numpy, for the worker (training, exports, evaluation).
import { spawnSync } from 'node:child_process';
import { WorkerError } from './errors.js';

export interface PythonInfo {
  executable: string;
  torch: string;
}

/**
 * The configured interpreter, else $UNDERSTUDY_PYTHON, else the system Python (Debian's
 * python3-torch lives there; a pyenv or venv python3 on PATH may lack torch), else python3.
 * Each candidate is asked to import torch and numpy (up to 60 s each).
 * @throws WorkerError NO_TORCH naming every interpreter tried and how to install PyTorch.
 */
export function findPython(configured?: string, env: NodeJS.ProcessEnv = process.env): PythonInfo {
  const candidates = configured
    ? [configured]
    : [env.UNDERSTUDY_PYTHON, '/usr/bin/python3', 'python3', 'python'].filter((c): c is string => Boolean(c));
  const tried: string[] = [];
  for (const executable of candidates) {
    const r = spawnSync(executable, ['-c', 'import torch, numpy; print(torch.__version__)'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    if (r.status === 0) return { executable, torch: r.stdout.trim() };
    tried.push(`${executable}: ${r.error ? 'not found' : (r.stderr.trim().split('\n').at(-1) ?? 'failed')}`);
  }
  throw new WorkerError(
    'NO_TORCH',
    `no Python with PyTorch found (tried ${tried.join('; ')}). Install it: sudo apt-get install python3-torch python3-numpy ` +
      '(Debian/Ubuntu, CPU), or pip install torch numpy in a venv (https://pytorch.org/get-started/locally/ for CUDA) and set ' +
      'train.python in the config to that interpreter.',
    undefined,
    { fixInMessage: true },
  );
}
