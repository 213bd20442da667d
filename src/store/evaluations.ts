// The evaluations and evaluation_scores tables (migration 6): per candidate version, the scores of
// the prompted route, the candidate and the version promoted at the time on each held-out
// message, and the decision. `understudy report` and `status` read them; train writes them.
import { type Db, stmt } from './db.js';

/** The three routes an evaluation compares (src/train/routes.ts evaluates them). */
export type RouteName = 'prompted' | 'candidate' | 'current';

/**
 * What is stored of one generated held-out reply (src/train/routes.ts RouteScore has this shape):
 * chrF 0..100, style checks, length ratio, mean loss in nats per token.
 */
export interface ScoreToStore {
  accountId: number;
  replyKey: string;
  generated: string;
  chrf: number;
  greeting: boolean;
  signOff: boolean;
  language: boolean;
  style: boolean;
  lengthRatio: number | null;
  loss: number | null;
  lossTokens: number;
}

/** One evaluation to store; `S` is the per-route summary (src/train/routes.ts RouteSummary), stored as JSON. */
export interface EvaluationRecord<S = unknown> {
  versionId: number;
  runId: number | null;
  currentId: number | null;
  promoted: boolean;
  decision: string;
  summary: Partial<Record<RouteName, S>>;
  scores: Partial<Record<RouteName, { modelVersion: number | null; scores: readonly ScoreToStore[] }>>;
}

/** Writes one evaluation and all its per-message scores in one transaction; returns its id. */
export function saveEvaluation(db: Db, e: EvaluationRecord): number {
  return db.transaction(() => {
    const row = stmt<unknown[], { id: number }>(
      db,
      `INSERT INTO evaluations (version_id, run_id, created_at, current_id, promoted, decision, summary)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    ).get(e.versionId, e.runId, Date.now(), e.currentId, e.promoted ? 1 : 0, e.decision, JSON.stringify(e.summary));
    // assert: an INSERT … RETURNING (or upsert) always returns its row
    if (!row) throw new Error('could not record the evaluation');
    const insert = stmt(
      db,
      `INSERT OR REPLACE INTO evaluation_scores (evaluation_id, route, model_version, account_id, reply_key, generated,
         chrf, greeting, sign_off, language, style, length_ratio, loss, loss_tokens)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const [route, set] of Object.entries(e.scores)) {
      if (!set) continue;
      for (const s of set.scores) {
        insert.run(
          row.id,
          route,
          set.modelVersion,
          s.accountId,
          s.replyKey,
          s.generated,
          s.chrf,
          s.greeting ? 1 : 0,
          s.signOff ? 1 : 0,
          s.language ? 1 : 0,
          s.style ? 1 : 0,
          s.lengthRatio,
          s.loss,
          s.lossTokens,
        );
      }
    }
    return row.id;
  })();
}

export interface StoredEvaluation {
  id: number;
  version_id: number;
  run_id: number | null;
  created_at: number;
  current_id: number | null;
  promoted: number;
  decision: string;
  /** JSON Partial<Record<RouteName, RouteSummary>> */
  summary: string;
}

export function listEvaluations(db: Db): StoredEvaluation[] {
  return stmt<[], StoredEvaluation>(db, 'SELECT * FROM evaluations ORDER BY id').all();
}

/** The newest evaluation of `versionId`, if it was evaluated. */
export function evaluationOf(db: Db, versionId: number): StoredEvaluation | undefined {
  return stmt<[number], StoredEvaluation>(
    db,
    'SELECT * FROM evaluations WHERE version_id = ? ORDER BY id DESC LIMIT 1',
  ).get(versionId);
}

export interface StoredScore {
  evaluation_id: number;
  route: RouteName;
  model_version: number | null;
  account_id: number | null;
  reply_key: string;
  generated: string;
  chrf: number;
  greeting: number;
  sign_off: number;
  language: number;
  style: number;
  length_ratio: number | null;
  loss: number | null;
  loss_tokens: number | null;
}

export function evaluationScores(db: Db, evaluationId: number): StoredScore[] {
  return stmt<[number], StoredScore>(
    db,
    'SELECT * FROM evaluation_scores WHERE evaluation_id = ? ORDER BY route, reply_key',
  ).all(evaluationId);
}

export interface AccountMargin {
  accountId: number;
  version: number;
  /** Held-out messages of this account in the version's evaluation. */
  samples: number;
  prompted: { chrf: number; loss: number | null };
  tuned: { chrf: number; loss: number | null };
}

/**
 * Per account, how the promoted version did against the prompted route on that account's
 * held-out messages (from its newest evaluation); empty when no evaluated version is promoted.
 */
export function promotedMargins(db: Db): AccountMargin[] {
  const rows = stmt<
    [],
    {
      account_id: number;
      version: number;
      route: RouteName;
      n: number;
      chrf: number;
      nll: number | null;
      tokens: number;
    }
  >(
    db,
    `SELECT s.account_id, e.version_id AS version, s.route, COUNT(*) AS n, AVG(s.chrf) AS chrf,
            SUM(s.loss * s.loss_tokens) AS nll, SUM(CASE WHEN s.loss IS NULL THEN 0 ELSE s.loss_tokens END) AS tokens
     FROM evaluation_scores s
     JOIN evaluations e ON e.id = s.evaluation_id
     WHERE e.id = (SELECT MAX(x.id) FROM evaluations x JOIN model_versions v ON v.id = x.version_id WHERE v.status = 'promoted')
       AND s.route IN ('prompted', 'candidate') AND s.account_id IS NOT NULL
     GROUP BY s.account_id, s.route`,
  ).all();
  const out = new Map<number, AccountMargin>();
  for (const r of rows) {
    const m = out.get(r.account_id) ?? {
      accountId: r.account_id,
      version: r.version,
      samples: r.n,
      prompted: { chrf: 0, loss: null },
      tuned: { chrf: 0, loss: null },
    };
    m[r.route === 'prompted' ? 'prompted' : 'tuned'] = {
      chrf: r.chrf,
      loss: r.tokens ? (r.nll ?? 0) / r.tokens : null,
    };
    out.set(r.account_id, m);
  }
  return [...out.values()];
}
