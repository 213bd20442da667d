// Writes a trained version as one GGUF file for llama.cpp and the tools built on it (Ollama,
// LM Studio, node-llama-cpp): the Python worker merges the adapter into the base model and writes
// the weights, hyperparameters, tokenizer and chat template (models/trainer/export_gguf.py).
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { WorkerError } from '../worker/errors.js';
import { runWorker } from '../worker/run.js';

export type GgufPrecision = 'f32' | 'f16' | 'q8_0';

export interface ExportGgufOptions {
  /** The Python that has torch and numpy (findPython()). */
  python: string;
  /** The base model folder (Hugging Face layout). */
  modelDir: string;
  /** The version's adapter folder, or null for the base model alone. */
  adapterDir: string | null;
  /** The .gguf file to write; replaced atomically if it exists. */
  outFile: string;
  /** f16 is llama.cpp's usual choice; q8_0 is half its size at a small cost in quality. */
  precision: GgufPrecision;
  onLog?: (line: string) => void;
}

/** Runs the worker's `export-gguf` command; resolves with the file's size, rejects with a WorkerError. */
export async function exportGguf(options: ExportGgufOptions): Promise<{ bytes: number }> {
  const outFile = resolve(options.outFile);
  const done = await runWorker({
    python: options.python,
    command: 'export-gguf',
    config: {
      model_dir: resolve(options.modelDir),
      adapter_dir: options.adapterDir === null ? null : resolve(options.adapterDir),
      out_file: outFile,
      precision: options.precision,
    },
    ...(options.onLog ? { onLog: options.onLog } : {}),
  }).result;
  const bytes = typeof done.bytes === 'number' ? done.bytes : statSync(outFile, { throwIfNoEntry: false })?.size;
  if (bytes === undefined) throw new WorkerError('EXPORT_FAILED', `the worker finished but ${outFile} was not written`);
  return { bytes };
}
