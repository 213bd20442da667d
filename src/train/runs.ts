// Training runs in the store: started, finished, failed, cancelled; the place --resume looks.
import { type Db, stmt } from '../store/db.js';

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
