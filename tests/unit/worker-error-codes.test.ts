// Every error code the Python worker can emit (ERROR_CODES in models/trainer/protocol.py, read as
// text: no Python needed) has a TypeScript meaning: a WorkerError with that code, a kind from
// src/errors.ts, a one-line fix and a documented exit code. A new Python code without one fails CI.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeError } from '../../src/cli/errors.js';
import { ERROR_KINDS, EXIT, exitCodeOf, isUnderstudyError } from '../../src/errors.js';
import {
  isWorkerErrorCode,
  WORKER_CLIENT_CODES,
  WORKER_ERRORS,
  WORKER_PROTOCOL_CODES,
  WorkerError,
} from '../../src/worker/errors.js';

const PROTOCOL = resolve(import.meta.dirname, '../../models/trainer/protocol.py');

/** The keys of the `ERROR_CODES = { "CODE": "meaning", … }` literal in protocol.py. */
function pythonErrorCodes(source: string): string[] {
  const block = /^ERROR_CODES\s*=\s*\{([\s\S]*?)^\}/m.exec(source)?.[1];
  if (block === undefined) throw new Error(`no ERROR_CODES = {…} block in ${PROTOCOL}`);
  return [...block.matchAll(/^\s*["']([A-Z][A-Z0-9_]*)["']\s*:/gm)].map((m) => m[1] as string);
}

describe('the Python worker’s error codes are known to TypeScript', () => {
  const python = pythonErrorCodes(readFileSync(PROTOCOL, 'utf8'));

  it('the parser reads the ERROR_CODES literal', () => {
    expect(pythonErrorCodes('ERROR_CODES = {\n    "NO_TORCH": "x",\n    \'LATER\': "y: z",\n}\n')).toEqual([
      'NO_TORCH',
      'LATER',
    ]);
    // The codes a worker raises in its own modules are a handful at least; an empty parse is a broken parser.
    expect(python.length).toBeGreaterThan(5);
  });

  it('WORKER_PROTOCOL_CODES is exactly protocol.py’s ERROR_CODES', () => {
    console.log(`protocol.py ERROR_CODES: ${python.join(', ')}`);
    expect([...WORKER_PROTOCOL_CODES].sort()).toEqual([...python].sort());
  });

  it('each worker code (and each client code) has a kind, a fix and a documented exit code', () => {
    const documented = new Set<number>(Object.values(EXIT));
    const rows: string[] = [];
    for (const code of [...python, ...WORKER_CLIENT_CODES]) {
      expect(isWorkerErrorCode(code), code).toBe(true);
      const meaning = WORKER_ERRORS[code as keyof typeof WORKER_ERRORS];
      expect(meaning, `${code} has no entry in WORKER_ERRORS (src/worker/errors.ts)`).toBeDefined();
      expect(ERROR_KINDS).toContain(meaning.kind);
      expect(meaning.fix.trim().length, `${code} has no fix`).toBeGreaterThan(10);
      const err = new WorkerError(code as keyof typeof WORKER_ERRORS, `the worker said ${code}`);
      expect(isUnderstudyError(err)).toBe(true);
      expect(err.code).toBe(code);
      expect(err.kind).toBe(meaning.kind);
      const exit = exitCodeOf(err);
      expect(documented.has(exit), `${code} → exit ${exit}`).toBe(true);
      // The CLI prints it as a typed error: no "unexpected error", the same exit code.
      const reported = describeError(err);
      expect(reported.exitCode).toBe(exit);
      expect(reported.message).not.toMatch(/unexpected error/);
      rows.push(`${code}: ${meaning.kind} → ${exit}`);
    }
    console.log(rows.join('\n'));
  });

  it('setup problems stop with 78, a cancel is 130, the rest are failures (1)', () => {
    const exit = (code: keyof typeof WORKER_ERRORS) => exitCodeOf(new WorkerError(code, code));
    expect(exit('NO_TORCH')).toBe(EXIT.CONFIG);
    expect(exit('CANCELLED')).toBe(EXIT.CANCELLED);
    expect(exit('MODEL_CORRUPT')).toBe(EXIT.FAILURE);
    expect(exit('UNSUPPORTED_ARCH')).toBe(EXIT.FAILURE);
    expect(exit('EMPTY_DATASET')).toBe(EXIT.FAILURE);
  });

  it('a code the TypeScript side does not know is not taken for one it knows', () => {
    expect(isWorkerErrorCode('SOMETHING_NEW')).toBe(false);
    expect(isWorkerErrorCode(undefined)).toBe(false);
  });
});
