// The base model as an ONNX graph: what the cold-start (prompted) route generates with, before a
// trained version exists. Exported once by the worker into the data folder, then reused.
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { runWorker } from '../worker/run.js';

/** Where the export of the base model in `baseDir` lives (the folder drafting's cold start uses). */
export function baseOnnxDir(dataDir: string, baseDir: string): string {
  return join(dataDir, 'models', 'base-onnx', basename(baseDir));
}

/**
 * The folder of the base model's ONNX export (config.json, tokenizer, onnx/model.onnx), exported
 * by the worker run with `python` when missing. Throws TrainError (NO_TORCH, EXPORT_FAILED, …).
 */
export async function ensureBaseOnnx(dataDir: string, baseDir: string, python: string): Promise<string> {
  const dir = baseOnnxDir(dataDir, baseDir);
  if (!existsSync(join(dir, 'onnx', 'model.onnx'))) {
    await runWorker({ python, command: 'export', config: { model_dir: baseDir, adapter_dir: null, out_dir: dir } })
      .result;
  }
  return dir;
}
