// The registry of trained versions: folders under models/versions/, rows in model_versions,
// and which one is promoted (the one drafts are written with).
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { type Db, ensurePrivateDir, stmt } from '../store/db.js';

export type VersionStatus = 'candidate' | 'promoted' | 'retired' | 'rejected';

export interface ModelVersion {
  id: number;
  created_at: number;
  base: string;
  base_repo: string | null;
  base_commit: string | null;
  dir: string;
  status: VersionStatus;
  eval_loss: number | null;
  base_eval_loss: number | null;
  score: number | null;
  style_match: number | null;
  metrics: string;
  data: string;
}

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
    const next = (stmt<[], { n: number | null }>(db, 'SELECT MAX(id) AS n FROM model_versions').get()?.n ?? 0) + 1;
    const dir = join(versionsDir(dataDir), `v${String(next).padStart(4, '0')}`);
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    renameSync(incompleteDir, dir);
    const row = stmt<unknown[], ModelVersion>(
      db,
      `INSERT INTO model_versions (id, created_at, base, base_repo, base_commit, dir, status, eval_loss, base_eval_loss, score, style_match, metrics, data)
       VALUES (?, ?, ?, ?, ?, ?, 'candidate', ?, ?, ?, ?, ?, ?) RETURNING *`,
    ).get(
      next,
      Date.now(),
      v.base,
      v.baseRepo,
      v.baseCommit,
      dir,
      v.evalLoss,
      v.baseEvalLoss,
      v.score,
      v.styleMatch,
      JSON.stringify(v.metrics),
      JSON.stringify(v.data),
    );
    if (!row) throw new Error('could not register the model version');
    return row;
  })();
}

export function listVersions(db: Db): ModelVersion[] {
  return stmt<[], ModelVersion>(db, 'SELECT * FROM model_versions ORDER BY id').all();
}

export function getVersion(db: Db, id: number): ModelVersion | undefined {
  return stmt<[number], ModelVersion>(db, 'SELECT * FROM model_versions WHERE id = ?').get(id);
}

/** The newest version, whatever became of it. */
export function latestVersion(db: Db): ModelVersion | undefined {
  return stmt<[], ModelVersion>(db, 'SELECT * FROM model_versions ORDER BY id DESC LIMIT 1').get();
}

export function promotedVersion(db: Db): ModelVersion | undefined {
  return stmt<[], ModelVersion>(
    db,
    "SELECT * FROM model_versions WHERE status = 'promoted' ORDER BY id DESC LIMIT 1",
  ).get();
}

/** Makes `id` the promoted version; the previous one becomes retired (rollback can bring it back). */
export function promote(db: Db, id: number): ModelVersion {
  return db.transaction(() => {
    const target = getVersion(db, id);
    if (!target) throw new Error(`no model version ${id}`);
    if (!existsSync(join(target.dir, 'model', 'onnx', 'model.onnx')))
      throw new Error(`version ${id} has no ONNX model (${target.dir}); it cannot be used for drafts`);
    stmt(db, "UPDATE model_versions SET status = 'retired' WHERE status = 'promoted'").run();
    stmt(db, "UPDATE model_versions SET status = 'promoted' WHERE id = ?").run(id);
    return { ...target, status: 'promoted' as const };
  })();
}

export function reject(db: Db, id: number): void {
  stmt(db, "UPDATE model_versions SET status = 'rejected' WHERE id = ?").run(id);
}

/** Goes back to the most recent retired version before the promoted one. */
export function rollback(db: Db): ModelVersion {
  const current = promotedVersion(db);
  if (!current) throw new Error('no promoted version to roll back from');
  const previous = stmt<[number], ModelVersion>(
    db,
    "SELECT * FROM model_versions WHERE status = 'retired' AND id < ? ORDER BY id DESC LIMIT 1",
  ).get(current.id);
  if (!previous)
    throw new Error(`version ${current.id} is the first promoted version; there is nothing to roll back to`);
  return db.transaction(() => {
    stmt(db, "UPDATE model_versions SET status = 'rejected' WHERE id = ?").run(current.id);
    stmt(db, "UPDATE model_versions SET status = 'promoted' WHERE id = ?").run(previous.id);
    return { ...previous, status: 'promoted' as const };
  })();
}
