// Which model writes drafts: the promoted version, or — before any training — the base model
// prompted with a few of the user's own replies (cold start), from its ONNX export (version 0).
import { join } from 'node:path';
import type { Config } from '../config/load.js';
import { Generator } from '../generate/generator.js';
import { resolveBaseModel } from '../model/base-model.js';
import { exportBaseVersion, registeredBaseExport } from '../model/base-onnx.js';
import { promotedVersion } from '../model/registry.js';
import type { Db } from '../store/db.js';
import { findPython } from '../worker/python.js';

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

/**
 * The folder of the model that should write drafts now: the promoted version's merged model, else
 * the base model's export registered as version 0 by `understudy model pull`.
 * @throws ModelError NO_BASE_MODEL when there is neither a promoted version nor a base model;
 *   WorkerError when the one-time export of an unregistered base model fails (see below).
 */
export async function currentModelDir(
  db: Db,
  config: Config,
): Promise<{ dir: string; mode: DraftModel['mode']; version: number | null }> {
  const promoted = promotedVersion(db);
  if (promoted) return { dir: join(promoted.dir, 'model'), mode: 'model', version: promoted.id };
  const base = resolveBaseModel(config);
  const registered = registeredBaseExport(db, base.dir);
  if (registered) return { dir: registered, mode: 'cold_start', version: null };
  // No version 0 for this base model: a store whose base was pulled before `model pull` made the
  // export, or a base_model folder given by path (never pulled). Drafting then exports once, as it
  // did before, and registers version 0, so it never happens again. Failing with "run understudy
  // model pull again" instead would stop an upgraded daemon's drafts until the user reads its log
  // (it drafts unattended); the export costs what the first draft always cost. An export already
  // on disk from an earlier drafting is registered without running the worker.
  const dir = await exportBaseVersion(db, config.dataDir, base, () => findPython(config.train.python).executable);
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
