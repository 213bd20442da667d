// The registry of trained versions: folders under models/versions/, rows in model_versions,
// and which one is promoted (the one drafts are written with).
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { UnderstudyError } from '../errors.js';
import { type Db, ensurePrivateDir } from '../store/db.js';
import {
  BASE_VERSION_ID,
  getVersion,
  insertVersion,
  listVersions,
  type ModelVersion,
  nextVersionId,
  promotedVersion,
  retireAnyPromoted,
  retiredBefore,
  setVersionStatus,
  type VersionStatus,
} from '../store/model-versions.js';

// The rows are the store's (src/store/model-versions.ts); these stay importable from here.
export {
  getVersion,
  latestVersion,
  listVersions,
  type ModelVersion,
  promotedVersion,
  type VersionStatus,
} from '../store/model-versions.js';

export function versionsDir(dataDir: string): string {
  return join(dataDir, 'models', 'versions');
}

/** A fresh, empty folder for the next version (written there, registered when complete). */
export function newVersionDir(dataDir: string): string {
  const root = versionsDir(dataDir);
  ensurePrivateDir(root);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = join(root, `incomplete-${stamp}-${process.pid}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

export interface NewVersion {
  base: string;
  baseRepo: string | null;
  baseCommit: string | null;
  evalLoss: number | null;
  baseEvalLoss: number | null;
  score: number | null;
  styleMatch: number | null;
  metrics: unknown;
  data: unknown;
}

/** Moves a complete version folder into place (v0001, v0002, …) and records it as a candidate. */
export function registerVersion(db: Db, dataDir: string, incompleteDir: string, v: NewVersion): ModelVersion {
  return db.transaction(() => {
    const next = nextVersionId(db);
    const dir = join(versionsDir(dataDir), `v${String(next).padStart(4, '0')}`);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(incompleteDir, dir);
    return insertVersion(db, { ...v, id: next, dir });
  })();
}

/** Makes `id` the promoted version; the previous one becomes retired (rollback can bring it back). */
export function promote(db: Db, id: number): ModelVersion {
  return db.transaction(() => {
    const target = getVersion(db, id);
    // Version 0 is the base model's export, not a trained version: "promoting" it is rollback --to-base.
    if (!target && id === BASE_VERSION_ID)
      throw new UnderstudyError('VERSION_NOT_FOUND', 'final', 'version 0 is the base model, not a trained version', {
        fix: 'understudy model rollback --to-base drafts with the base model again',
      });
    if (!target)
      throw new UnderstudyError('VERSION_NOT_FOUND', 'final', `no model version ${id}`, {
        fix: 'understudy model list shows the versions',
      });
    if (!existsSync(join(target.dir, 'model', 'onnx', 'model.onnx')))
      throw new UnderstudyError(
        'VERSION_WITHOUT_MODEL',
        'final',
        `version ${id} has no ONNX model (${target.dir}: pruned, or its training did not finish); it cannot be used for drafts`,
        { fix: 'promote another version (understudy model list), or train a new one' },
      );
    retireAnyPromoted(db);
    setVersionStatus(db, id, 'promoted');
    return { ...target, status: 'promoted' as const };
  })();
}

/**
 * Back to the cold-start route: the promoted version is retired and none is promoted, so drafts
 * are written by the base model shown a few of the user's own replies, until `promote` or the next
 * training that wins. Returns the version that was promoted, or undefined when none was.
 */
export function retirePromoted(db: Db): ModelVersion | undefined {
  return db.transaction(() => {
    const current = promotedVersion(db);
    if (current) setVersionStatus(db, current.id, 'retired');
    return current;
  })();
}

export function reject(db: Db, id: number): void {
  setVersionStatus(db, id, 'rejected');
}

/** The merged ONNX model drafts are generated with; `model prune` removes it from old versions. */
export function onnxModelDir(v: Pick<ModelVersion, 'dir'>): string {
  return join(v.dir, 'model', 'onnx');
}

/** Whether the version still has its merged ONNX model (false once `model prune` removed it). */
export function hasOnnxModel(v: Pick<ModelVersion, 'dir'>): boolean {
  return existsSync(join(onnxModelDir(v), 'model.onnx'));
}

/** The retired version `rollback` would bring back: the newest one before `current` that still has its model. */
export function rollbackTarget(db: Db, current: ModelVersion): ModelVersion | undefined {
  return retiredBefore(db, current.id).find(hasOnnxModel);
}

/** Goes back to the most recent retired version before the promoted one (one that was not pruned). */
export function rollback(db: Db): ModelVersion {
  const current = promotedVersion(db);
  if (!current)
    throw new UnderstudyError('NOTHING_TO_ROLL_BACK', 'final', 'no promoted version to roll back from', {
      fix: 'understudy model list shows the versions; understudy model promote ID chooses one',
    });
  const previous = rollbackTarget(db, current);
  if (!previous)
    throw new UnderstudyError(
      'NOTHING_TO_ROLL_BACK',
      'final',
      `version ${current.id} is the first promoted version (or the earlier ones were pruned); there is nothing to roll back to`,
      { fix: 'understudy model list shows the versions; understudy model promote ID chooses one' },
    );
  return db.transaction(() => {
    setVersionStatus(db, current.id, 'rejected');
    setVersionStatus(db, previous.id, 'promoted');
    return { ...previous, status: 'promoted' as const };
  })();
}

/** One version `pruneVersions` removed (or, in a dry run, would remove) the merged model of. */
export interface PrunedVersion {
  id: number;
  status: VersionStatus;
  /** Bytes of the merged ONNX model folder. */
  bytes: number;
}

export interface PruneResult {
  pruned: PrunedVersion[];
  /** Versions whose model stays, newest first, with why. */
  kept: { id: number; status: VersionStatus; why: 'promoted' | 'previous' | 'newest' }[];
  /** Bytes freed (or that a dry run would free). */
  freedBytes: number;
  dryRun: boolean;
}

/**
 * Frees disk space: removes the merged ONNX model (`model/onnx/`, the size of the base model) of
 * every version but the `keep` newest usable ones. The promoted version is always kept and counts
 * as one; the version `rollback` would return to comes next, then the newest others. A pruned
 * version keeps its adapter, metrics and its row (so `model list`, the report and the adapter in
 * PEFT format stay), but it can no longer be promoted or rolled back to.
 *
 * @param keep how many versions keep their model, at least 1
 * @param dryRun only compute what would be removed
 * @throws RangeError when `keep` is not a positive integer
 */
export function pruneVersions(db: Db, options: { keep: number; dryRun?: boolean }): PruneResult {
  const { keep, dryRun = false } = options;
  // assert: `model prune --keep` is checked by the command line (exit 64) before it gets here
  if (!Number.isInteger(keep) || keep < 1) throw new RangeError(`keep must be a positive whole number, got ${keep}`);
  const usable = listVersions(db)
    .filter(hasOnnxModel)
    .sort((a, b) => b.id - a.id);
  const kept: PruneResult['kept'] = [];
  const promoted = promotedVersion(db);
  if (promoted && hasOnnxModel(promoted)) kept.push({ id: promoted.id, status: promoted.status, why: 'promoted' });
  const previous = promoted ? rollbackTarget(db, promoted) : undefined;
  if (previous && kept.length < keep) kept.push({ id: previous.id, status: previous.status, why: 'previous' });
  for (const v of usable) {
    if (kept.length >= keep) break;
    if (!kept.some((k) => k.id === v.id)) kept.push({ id: v.id, status: v.status, why: 'newest' });
  }
  const pruned: PrunedVersion[] = [];
  for (const v of usable) {
    // Never the promoted version, whatever `keep` says: drafts are written with it.
    if (kept.some((k) => k.id === v.id) || v.status === 'promoted') continue;
    const dir = onnxModelDir(v);
    const size = folderBytes(dir);
    if (!dryRun) rmSync(dir, { recursive: true, force: true });
    pruned.push({ id: v.id, status: v.status, bytes: size });
  }
  kept.sort((a, b) => b.id - a.id);
  return { pruned, kept, freedBytes: pruned.reduce((n, p) => n + p.bytes, 0), dryRun };
}

/** Bytes of the files under `dir` (symbolic links are not followed). */
function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += folderBytes(path);
    else total += lstatSync(path).size;
  }
  return total;
}
