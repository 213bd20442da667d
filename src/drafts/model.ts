// Which model writes drafts: the promoted version, or — before any training — the base model
// prompted with a few of the user's own replies (cold start).
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Config } from '../config/load.js';
import { Generator } from '../generate/generator.js';
import { promotedVersion } from '../model/registry.js';
import type { Db } from '../store/db.js';
import { resolveBaseModel } from '../train/run.js';
import { findPython } from '../worker/python.js';
import { runWorker } from '../worker/run.js';

export interface DraftModel {
  generator: Generator;
  mode: 'model' | 'cold_start';
  version: number | null;
  dir: string;
}

/**
 * A name for the model that would write drafts now, without loading it: 'version:N' for a
 * promoted trained version, 'base:NAME' before the first training (cold start). A refused
 * reply is retried only when this changes.
 */
export function currentModelKey(db: Db, config: Config): string {
  const promoted = promotedVersion(db);
  return promoted ? `version:${promoted.id}` : `base:${config.train.baseModel}`;
}

/** The folder of the model that should write drafts now. */
export async function currentModelDir(
  db: Db,
  config: Config,
): Promise<{ dir: string; mode: DraftModel['mode']; version: number | null }> {
  const promoted = promotedVersion(db);
  if (promoted) return { dir: join(promoted.dir, 'model'), mode: 'model', version: promoted.id };
  // Cold start: the base model, exported to ONNX once (needs the training worker's Python).
  const base = resolveBaseModel(config);
  const dir = join(config.dataDir, 'models', 'base-onnx', basename(base.dir));
  if (!existsSync(join(dir, 'onnx', 'model.onnx'))) {
    const python = findPython(config.train.python).executable;
    await runWorker({ python, command: 'export', config: { model_dir: base.dir, adapter_dir: null, out_dir: dir } })
      .result;
  }
  return { dir, mode: 'cold_start', version: null };
}

/** Loads the current model, reusing `previous` when it is still the right one (hot swap otherwise). */
export async function loadDraftModel(db: Db, config: Config, previous?: DraftModel | null): Promise<DraftModel> {
  const wanted = await currentModelDir(db, config);
  if (previous && previous.dir === wanted.dir) return previous;
  const generator = await Generator.load(wanted.dir, { threads: config.drafts.threads });
  if (previous) await previous.generator.close();
  return { generator, ...wanted };
}
