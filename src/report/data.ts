// What `understudy report` shows, read from the store in one place: training curves, the
// versions with both routes' evaluation, drafts per week from the outbox journal and its
// feedback, why mail got no draft, and the dataset. Plain rows, ready for the charts and tables.
import type { Config } from '../config/load.js';
import { datasetStats } from '../dataset/stats.js';
import { listVersions } from '../model/registry.js';
import { accountIdByName } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import { draftOutcomes } from '../store/drafts.js';
import { listEvaluations } from '../store/evaluations.js';
import { storedExamples } from '../store/examples.js';
import { type CurvePoint, trainingCurves } from '../store/training-runs.js';
import type { RouteName, RouteSummary } from '../train/routes.js';
import { noDraftReasons } from './no-draft.js';

export interface VersionRow {
  id: number;
  createdAt: number;
  status: string;
  /** Per route as evaluated when this version was trained; absent for versions from before route evaluation. */
  routes: Partial<Record<RouteName, RouteSummary>>;
  /** The version promoted at the time (its scores are routes.current). */
  comparedWith: number | null;
  decision: string | null;
  /** Old versions only: the stored chrF / style of the torch evaluation. */
  legacy: { chrf: number | null; style: number | null; evalLoss: number | null; baseEvalLoss: number | null };
}

export interface WeekRow {
  /** Monday of the week, YYYY-MM-DD (UTC). */
  week: string;
  outcome: 'kept' | 'edited' | 'rewritten' | 'discarded' | 'taken over' | 'waiting' | 'replaced';
  count: number;
}

export interface ReportData {
  generatedAt: number;
  accounts: string[];
  curves: CurvePoint[];
  versions: VersionRow[];
  drafts: WeekRow[];
  /** Drafts written in all (every outcome above). */
  draftsWritten: number;
  noDraft: { reason: string; count: number }[];
  dataset: {
    examples: number;
    train: number;
    eval: number;
    languages: { language: string; examples: number }[];
    correspondents: { correspondent: string; examples: number }[];
    drops: { reason: string; count: number }[];
  };
}

/** Collects the report's data for every configured account that has been synced. */
export function reportData(db: Db, config: Config, now = Date.now()): ReportData {
  const accounts = config.accounts
    .map((a) => ({ name: a.name, id: accountIdByName(db, a.name), config: a }))
    .filter((a): a is { name: string; id: number; config: (typeof config.accounts)[number] } => a.id !== undefined);
  const evaluations = listEvaluations(db);
  const versions: VersionRow[] = listVersions(db).map((v) => {
    const e = [...evaluations].reverse().find((x) => x.version_id === v.id);
    return {
      id: v.id,
      createdAt: v.created_at,
      status: v.status,
      routes: e ? (JSON.parse(e.summary) as Partial<Record<RouteName, RouteSummary>>) : {},
      comparedWith: e?.current_id ?? null,
      decision: e?.decision ?? null,
      legacy: { chrf: v.score, style: v.style_match, evalLoss: v.eval_loss, baseEvalLoss: v.base_eval_loss },
    };
  });

  const languages = new Map<string, number>();
  const correspondents = new Map<string, number>();
  const drops = new Map<string, number>();
  let examples = 0;
  let train = 0;
  let evalCount = 0;
  for (const a of accounts) {
    const stats = datasetStats(db, a.id);
    examples += stats.examples;
    train += stats.train;
    evalCount += stats.eval;
    for (const [k, n] of Object.entries(stats.languages)) languages.set(k, (languages.get(k) ?? 0) + n);
    for (const [k, n] of Object.entries(stats.dropped)) drops.set(k, (drops.get(k) ?? 0) + n);
    for (const e of storedExamples(db, a.id)) {
      const who = e.correspondent ?? '(unknown)';
      correspondents.set(who, (correspondents.get(who) ?? 0) + 1);
    }
  }

  const drafts = draftWeeks(
    db,
    accounts.map((a) => a.id),
  );
  const noDraft = new Map<string, number>();
  for (const a of accounts) {
    for (const [reason, n] of noDraftReasons(db, a.id, a.config, config.drafts, now))
      noDraft.set(reason, (noDraft.get(reason) ?? 0) + n);
  }
  return {
    generatedAt: now,
    accounts: accounts.map((a) => a.name),
    curves: trainingCurves(db),
    versions,
    drafts,
    draftsWritten: drafts.reduce((n, w) => n + w.count, 0),
    noDraft: sorted(noDraft).map(([reason, count]) => ({ reason, count })),
    dataset: {
      examples,
      train,
      eval: evalCount,
      languages: sorted(languages).map(([language, n]) => ({ language, examples: n })),
      correspondents: sorted(correspondents)
        .slice(0, 12)
        .map(([correspondent, n]) => ({ correspondent, examples: n })),
      drops: sorted(drops).map(([reason, count]) => ({ reason, count })),
    },
  };
}

/**
 * Drafts per week and what became of them, from the outbox journal: the user's reply kept the
 * draft (kept), changed it a little (edited) or wrote their own (rewritten), deleted it without
 * replying (discarded), a newer draft replaced it (replaced), the user edited or moved it and has
 * not sent it yet (taken over), or it still waits in Drafts untouched.
 * Failed generations wrote no draft; they are among the no-draft reasons.
 */
function draftWeeks(db: Db, accountIds: readonly number[]): WeekRow[] {
  const rows = draftOutcomes(db, accountIds);
  const counts = new Map<string, number>();
  for (const r of rows) {
    let outcome: WeekRow['outcome'] = 'waiting';
    if (r.state === 'sent') {
      const feedback = r.feedback ? (JSON.parse(r.feedback) as { outcome?: string }) : {};
      outcome = feedback.outcome === 'kept' || feedback.outcome === 'edited' ? feedback.outcome : 'rewritten';
    } else if (r.state === 'discarded') outcome = 'discarded';
    else if (r.state === 'superseded') outcome = 'replaced';
    else if (r.state === 'touched') outcome = 'taken over';
    const key = `${weekOf(r.created_at)}|${outcome}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .map(([key, count]) => {
      const [week, outcome] = key.split('|') as [string, WeekRow['outcome']];
      return { week, outcome, count };
    })
    .sort((a, b) => a.week.localeCompare(b.week) || a.outcome.localeCompare(b.outcome));
}

/** The Monday (UTC) of the week of `ms`, as YYYY-MM-DD. */
export function weekOf(ms: number): string {
  const d = new Date(ms);
  const monday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - ((d.getUTCDay() + 6) % 7) * 86_400_000;
  return new Date(monday).toISOString().slice(0, 10);
}

function sorted(map: Map<string, number>): [string, number][] {
  return [...map].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
