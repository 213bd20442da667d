// The model_versions table: each trained version's folder, base model, scores and status. The
// folders themselves and the rules (promote, rollback, prune) live in src/model/registry.ts.
import { type Db, stmt } from './db.js';

/** candidate: trained, not (yet) used; promoted: drafts are written with it (at most one); retired: was promoted; rejected: lost its evaluation or was rolled back. */
export type VersionStatus = 'candidate' | 'promoted' | 'retired' | 'rejected';

/**
 * Version 0 is not a trained version: it is the base model's own ONNX export, made by
 * `understudy model pull`, that the cold-start route drafts with (status 'base', one row, replaced
 * when another base model is pulled). The trained-version queries below leave it out.
 */
export const BASE_VERSION_ID = 0;

/** One trained version as stored (times in ms since the epoch, losses in nats per token, chrF 0..100). */
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
  /** JSON of the training metrics. */
  metrics: string;
  /** JSON: examples, tokens, date range. */
  data: string;
}

/** What registering a version records (metrics and data are stored as JSON). */
export interface NewVersionRow {
  id: number;
  base: string;
  baseRepo: string | null;
  baseCommit: string | null;
  dir: string;
  evalLoss: number | null;
  baseEvalLoss: number | null;
  score: number | null;
  styleMatch: number | null;
  metrics: unknown;
  data: unknown;
}

/** The id the next version gets: one above the highest ever registered (1 for the first). */
export function nextVersionId(db: Db): number {
  return (stmt<[], { n: number | null }>(db, 'SELECT MAX(id) AS n FROM model_versions').get()?.n ?? 0) + 1;
}

/**
 * Records a version as a candidate.
 * @throws Error when SQLite returns no row (it always does for RETURNING); SqliteError on a taken id.
 */
export function insertVersion(db: Db, v: NewVersionRow): ModelVersion {
  const row = stmt<unknown[], ModelVersion>(
    db,
    `INSERT INTO model_versions (id, created_at, base, base_repo, base_commit, dir, status, eval_loss, base_eval_loss, score, style_match, metrics, data)
     VALUES (?, ?, ?, ?, ?, ?, 'candidate', ?, ?, ?, ?, ?, ?) RETURNING *`,
  ).get(
    v.id,
    Date.now(),
    v.base,
    v.baseRepo,
    v.baseCommit,
    v.dir,
    v.evalLoss,
    v.baseEvalLoss,
    v.score,
    v.styleMatch,
    JSON.stringify(v.metrics),
    JSON.stringify(v.data),
  );
  // assert: an INSERT … RETURNING (or upsert) always returns its row
  if (!row) throw new Error('could not register the model version');
  return row;
}

/** Every trained version, oldest first. */
export function listVersions(db: Db): ModelVersion[] {
  return stmt<[], ModelVersion>(db, 'SELECT * FROM model_versions WHERE id > 0 ORDER BY id').all();
}

/** A trained version by id (never version 0, the base model's export: see baseVersion). */
export function getVersion(db: Db, id: number): ModelVersion | undefined {
  return stmt<[number], ModelVersion>(db, 'SELECT * FROM model_versions WHERE id = ? AND id > 0').get(id);
}

/** The newest trained version, whatever became of it. */
export function latestVersion(db: Db): ModelVersion | undefined {
  return stmt<[], ModelVersion>(db, 'SELECT * FROM model_versions WHERE id > 0 ORDER BY id DESC LIMIT 1').get();
}

/** Version 0: the base model's ONNX export the cold-start route drafts with, once registered. */
export function baseVersion(db: Db): (Omit<ModelVersion, 'status'> & { status: 'base' }) | undefined {
  return stmt<[number], Omit<ModelVersion, 'status'> & { status: 'base' }>(
    db,
    'SELECT * FROM model_versions WHERE id = ?',
  ).get(BASE_VERSION_ID);
}

/**
 * Records `dir` (an ONNX export of the base model in folder `base`) as version 0, replacing the
 * export of an earlier base model. Its evaluation and training columns stay empty.
 */
export function saveBaseVersion(
  db: Db,
  v: { base: string; baseRepo: string | null; baseCommit: string | null; dir: string },
): void {
  stmt(
    db,
    `INSERT INTO model_versions (id, created_at, base, base_repo, base_commit, dir, status, metrics, data)
     VALUES (?, ?, ?, ?, ?, ?, 'base', '{}', '{}')
     ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, base = excluded.base,
       base_repo = excluded.base_repo, base_commit = excluded.base_commit, dir = excluded.dir`,
  ).run(BASE_VERSION_ID, Date.now(), v.base, v.baseRepo, v.baseCommit, v.dir);
}

/** The version drafts are written with, if any. */
export function promotedVersion(db: Db): ModelVersion | undefined {
  return stmt<[], ModelVersion>(
    db,
    "SELECT * FROM model_versions WHERE status = 'promoted' ORDER BY id DESC LIMIT 1",
  ).get();
}

/** Retired versions older than `id`, newest first (where a rollback from `id` may go). */
export function retiredBefore(db: Db, id: number): ModelVersion[] {
  return stmt<[number], ModelVersion>(
    db,
    "SELECT * FROM model_versions WHERE status = 'retired' AND id < ? ORDER BY id DESC",
  ).all(id);
}

/** Sets one version's status (the caller keeps "at most one promoted" true, in one transaction). */
export function setVersionStatus(db: Db, id: number, status: VersionStatus): void {
  stmt(db, 'UPDATE model_versions SET status = ? WHERE id = ?').run(status, id);
}

/** Retires whichever version is promoted (none is, afterwards). */
export function retireAnyPromoted(db: Db): void {
  stmt(db, "UPDATE model_versions SET status = 'retired' WHERE status = 'promoted'").run();
}
