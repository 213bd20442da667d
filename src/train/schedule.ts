// Whether the daemon's training tick should train now: enough new examples since the last
// training (promoted or not) and a free GPU. Cheap on most ticks: the datasets are rebuilt (to
// count examples exactly) only when the mail that came since the last count could be enough; a
// tick with nothing new, or too little new mail to reach daemon.min_new_examples, rebuilds nothing.
import type { Config } from '../config/load.js';
import { type BuildOptions, type BuildSummary, buildDataset } from '../dataset/build.js';
import { accountIdByName } from '../store/accounts.js';
import type { Db } from '../store/db.js';
import { storedExclusions } from '../store/excluded-correspondents.js';
import { type MessageTally, messageTally } from '../store/messages.js';
import { latestVersion } from '../store/model-versions.js';
import { gpuBusyReason } from './gpu.js';

/** The answer of one tick. */
export interface TrainingDecision {
  due: boolean;
  /** Why not, for the log and `understudy status` (null when due). */
  reason: string | null;
  /** Examples now minus examples the last training had (may be negative after exclusions). */
  freshExamples: number;
  /** Accounts whose dataset this tick (re)built or checked with buildDataset; empty when it answered without. */
  built: string[];
}

export interface ScheduleDeps {
  /** buildDataset (tests count its calls). */
  build?: (options: BuildOptions) => BuildSummary;
  /** Why the GPU cannot be used now, or null (train/gpu.ts; tests pass a fixed answer). */
  gpuBusy?: (device: string, busyFraction: number) => string | null;
}

/**
 * Decides, tick by tick, whether training is due. Remembers, in memory, the example count of the
 * last rebuild and the store's MessageTally then (a daemon restart counts once more, with
 * buildDataset, itself a no-op for an unchanged store). A later tick:
 * - nothing changed (same tallies, exclusions, settings): that count, no rebuild;
 * - only new mail: each new message adds at most one example (it is a reply, or the parent a
 *   stored reply was waiting for), so count + new messages bounds the examples; below the
 *   threshold it is not due, without a rebuild;
 * - otherwise (enough new mail, other settings or exclusions, deleted mail): rebuild and count.
 * The training itself builds the datasets again, so a bound that is off by a message (a parent
 * answered twice, a row id SQLite reused) only moves a training by one tick, never trains on a
 * stale dataset.
 */
export class TrainingSchedule {
  private last: { inputs: string; tallies: Map<string, MessageTally>; examples: number } | null = null;
  private readonly build: NonNullable<ScheduleDeps['build']>;
  private readonly gpuBusy: NonNullable<ScheduleDeps['gpuBusy']>;

  constructor(deps: ScheduleDeps = {}) {
    this.build = deps.build ?? buildDataset;
    this.gpuBusy = deps.gpuBusy ?? gpuBusyReason;
  }

  /**
   * Whether to train now, given `config` (accounts, [dataset], daemon.min_new_examples, [train]
   * device and gpu_busy_fraction). Throws what buildDataset throws (a DatasetError, a StoreError)
   * when a rebuild is needed and fails; an account never synced is skipped, not an error.
   */
  decide(db: Db, config: Config): TrainingDecision {
    const accounts = config.accounts
      .map((account) => ({ account, id: accountIdByName(db, account.name) }))
      .filter((a): a is { account: (typeof config.accounts)[number]; id: number } => a.id !== undefined);
    // Everything but the mail that decides what the datasets hold.
    const inputs = JSON.stringify({
      accounts: accounts.map((a) => [a.account.name, a.account.addresses]),
      exclusions: storedExclusions(db),
      settings: config.dataset,
    });
    const tallies = new Map(accounts.map((a) => [a.account.name, messageTally(db, a.id)]));
    const trained = examplesOf(latestVersion(db)?.data);
    const min = config.daemon.minNewExamples;
    const notDue = (fresh: number, reason: string, built: string[]): TrainingDecision => ({
      due: false,
      reason: `${reason} since the last training (daemon.min_new_examples = ${min})`,
      freshExamples: fresh,
      built,
    });

    const last = this.last?.inputs === inputs ? this.last : null;
    let examples: number;
    const built: string[] = [];
    const growth = last ? newMessagesAtMost(last.tallies, tallies) : null;
    if (last && growth === 0) {
      examples = last.examples;
    } else if (last && growth !== null && last.examples + growth - trained < min) {
      const most = last.examples + growth - trained;
      return notDue(last.examples - trained, `at most ${most} new examples (${growth} new messages)`, built);
    } else {
      examples = 0;
      for (const { account } of accounts) {
        examples += this.build({ db, account, settings: config.dataset }).examples;
        built.push(account.name);
      }
      this.last = { inputs, tallies, examples };
    }
    // Counted from the last training, promoted or not: a version that lost to the current one
    // must not start another training on the same data at every tick.
    const fresh = examples - trained;
    if (fresh < min) return notDue(fresh, `${fresh} new examples`, built);
    const busy = this.gpuBusy(config.train.device, config.train.gpuBusyFraction);
    return { due: busy === null, reason: busy, freshExamples: fresh, built };
  }
}

/**
 * How many messages can have come since `then` (0: the mail is as it was), or null when mail
 * went away or changed in place (an account new to the map, fewer rows, the same highest id with
 * other contents): only a rebuild can tell what that did to the examples.
 */
function newMessagesAtMost(then: Map<string, MessageTally>, now: Map<string, MessageTally>): number | null {
  let growth = 0;
  for (const [name, t] of now) {
    const before = then.get(name);
    if (!before) return null;
    const rows = t.maxId - before.maxId;
    if (t.count < before.count || rows < 0) return null;
    if (rows === 0 && (t.count !== before.count || t.contentSum !== before.contentSum)) return null;
    growth += rows;
  }
  return growth;
}

/** The example count a version recorded in its data JSON (0 when absent or unreadable). */
function examplesOf(data: string | undefined): number {
  if (!data) return 0;
  try {
    return Number((JSON.parse(data) as { examples?: number }).examples ?? 0) || 0;
  } catch {
    return 0;
  }
}
