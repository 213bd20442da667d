// The training_runs and training_curves tables: runs started, finished, failed, cancelled (the
// place --resume looks), and the loss per step of each run.
import { type Db, stmt } from './db.js';

export interface TrainingRun {
  id: number;
  started_at: number;
  finished_at: number | null;
  status: 'running' | 'done' | 'failed' | 'cancelled';
  device: string | null;
  steps: number | null;
  examples: number | null;
  error: string | null;
  version_id: number | null;
}

export function startRun(db: Db, examples: number): number {
  const row = stmt<[number, number], { id: number }>(
    db,
    "INSERT INTO training_runs (started_at, status, examples) VALUES (?, 'running', ?) RETURNING id",
  ).get(Date.now(), examples);
  // assert: an INSERT … RETURNING (or upsert) always returns its row
  if (!row) throw new Error('could not record the training run');
  return row.id;
}

export function finishRun(
  db: Db,
  id: number,
  outcome: { status: TrainingRun['status']; device?: string; steps?: number; error?: string; versionId?: number },
): void {
  stmt(
    db,
    'UPDATE training_runs SET finished_at = ?, status = ?, device = COALESCE(?, device), steps = COALESCE(?, steps), error = ?, version_id = ? WHERE id = ?',
  ).run(
    Date.now(),
    outcome.status,
    outcome.device ?? null,
    outcome.steps ?? null,
    outcome.error ?? null,
    outcome.versionId ?? null,
    id,
  );
}

/** The newest run that stopped before finishing (a cancel, a crash): what --resume continues. */
export function resumableRun(db: Db): TrainingRun | undefined {
  return stmt<[], TrainingRun>(
    db,
    "SELECT * FROM training_runs WHERE status IN ('cancelled', 'failed', 'running') ORDER BY id DESC LIMIT 1",
  ).get();
}

export function lastRuns(db: Db, limit = 5): TrainingRun[] {
  return stmt<[number], TrainingRun>(db, 'SELECT * FROM training_runs ORDER BY id DESC LIMIT ?').all(limit);
}

/** Records one point of a training run's loss curve (a repeated step, as after --resume, replaces it). */
export function recordCurvePoint(
  db: Db,
  runId: number,
  kind: 'train' | 'eval' | 'base_eval',
  step: number,
  loss: number,
) {
  if (!Number.isFinite(loss)) return;
  stmt(db, 'INSERT OR REPLACE INTO training_curves (run_id, kind, step, loss) VALUES (?, ?, ?, ?)').run(
    runId,
    kind,
    step,
    loss,
  );
}

export interface CurvePoint {
  run_id: number;
  version_id: number | null;
  kind: 'train' | 'eval' | 'base_eval';
  step: number;
  loss: number;
}

/** Every curve point, with the version its run produced (NULL for runs that produced none). */
export function trainingCurves(db: Db): CurvePoint[] {
  return stmt<[], CurvePoint>(
    db,
    `SELECT c.run_id, r.version_id, c.kind, c.step, c.loss FROM training_curves c
     JOIN training_runs r ON r.id = c.run_id ORDER BY c.run_id, c.kind, c.step`,
  ).all();
}
