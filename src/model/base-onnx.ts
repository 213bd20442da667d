// The base model as an ONNX graph: what the cold-start (prompted) route generates with, before a
// trained version exists. `understudy model pull` exports it once into the data folder and
// registers the export as version 0; drafting and the evaluation of the prompted route reuse it.
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { Db } from '../store/db.js';
import { baseVersion, saveBaseVersion } from '../store/model-versions.js';
import { runWorker } from '../worker/run.js';
import type { BaseModel } from './base-model.js';
import { DECODE_EXPORT_OPTIONS } from './decode-export.js';

/** Where the export of the base model in `baseDir` lives (the folder drafting's cold start uses). */
export function baseOnnxDir(dataDir: string, baseDir: string): string {
  return join(dataDir, 'models', 'base-onnx', basename(baseDir));
}

/**
 * The folder of the base model's ONNX export (config.json, tokenizer, onnx/model.onnx), exported
 * by the worker run with `python` when missing (minutes for a large model; nothing when present).
 * `python` may be a function (e.g. findPython's lookup), called only when an export is needed, so
 * that an export on disk is used without PyTorch.
 * @throws WorkerError (NO_TORCH, MODEL_NOT_FOUND, EXPORT_FAILED, …) when the export fails.
 */
export async function ensureBaseOnnx(
  dataDir: string,
  baseDir: string,
  python: string | (() => string),
): Promise<string> {
  const dir = baseOnnxDir(dataDir, baseDir);
  if (!existsSync(join(dir, 'onnx', 'model.onnx'))) {
    const interpreter = typeof python === 'function' ? python() : python;
    await runWorker({
      python: interpreter,
      command: 'export',
      config: { model_dir: baseDir, adapter_dir: null, out_dir: dir, ...DECODE_EXPORT_OPTIONS },
    }).result;
  }
  return dir;
}

/**
 * Exports `base` to ONNX when its export is missing, and registers the export as version 0 (the
 * model the cold-start route drafts with), replacing the export of an earlier base model.
 * What `understudy model pull` does after the download. Returns the export's folder.
 * @throws WorkerError when the export fails (nothing is registered then).
 */
export async function exportBaseVersion(
  db: Db,
  dataDir: string,
  base: BaseModel,
  python: string | (() => string),
): Promise<string> {
  const dir = await ensureBaseOnnx(dataDir, base.dir, python);
  saveBaseVersion(db, { base: resolve(base.dir), baseRepo: base.repo, baseCommit: base.commit, dir });
  return dir;
}

/**
 * The folder of version 0 when it is the export of the base model in `baseDir` and its graph is
 * still on disk, else null (no `model pull` since exports moved there, another base model pulled
 * last, or the export folder removed). Never exports.
 */
export function registeredBaseExport(db: Db, baseDir: string): string | null {
  const v0 = baseVersion(db);
  if (!v0 || v0.base !== resolve(baseDir)) return null;
  return existsSync(join(v0.dir, 'onnx', 'model.onnx')) ? v0.dir : null;
}
