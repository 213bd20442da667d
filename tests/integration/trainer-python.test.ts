// The Python worker's own suite (models/trainer/tests, unittest, torch + numpy only): model
// families, safetensors, LoRA and its PEFT format, training and resume, ONNX export, bad input.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_PYTHON } from '../helpers/tiny-model.js';

describe('models/trainer (Python)', () => {
  it('passes its unittest suite', () => {
    const r = spawnSync(TEST_PYTHON, ['-m', 'unittest', 'discover', '-s', 'trainer/tests', '-t', '.'], {
      cwd: resolve(import.meta.dirname, '../../models'),
      encoding: 'utf8',
      timeout: 600_000,
    });
    const summary = r.stderr.trim().split('\n').slice(-3).join(' | ');
    console.log(`python unittest: ${summary}`);
    expect(r.status, r.stderr.slice(-4000)).toBe(0);
    expect(r.stderr).toMatch(/^OK/m);
  }, 600_000);
});
