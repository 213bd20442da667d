// Whether the daemon's training tick should train now: enough new examples since the last
// training (promoted or not) and a free GPU. Cheap on a tick where nothing changed: it compares a
// fingerprint of what the datasets are built from (the store's message counts, the exclusions,
// the dataset settings) with the previous tick's, and rebuilds the datasets only when it moved.
import type { Config } from '../config/load.js';
import { type BuildOptions, type BuildSummary, buildDataset } from '../dataset/build.js';
import { accountIdByName } from '../store/accounts.js';
import { storeFingerprint } from '../store/dataset-builds.js';
import type { Db } from '../store/db.js';
import { storedExclusions } from '../store/excluded-correspondents.js';
import { latestVersion } from '../store/model-versions.js';
import { gpuBusyReason } from './gpu.js';

/** The answer of one tick. */
export interface TrainingDecision {
  due: boolean;
  /** Why not, for the log and `understudy status` (null when due). */
  reason: string | null;
  /** Examples now minus examples the last training had (may be negative after exclusions). */
  freshExamples: number;
  /** Accounts whose dataset this tick (re)built or checked with buildDataset; empty when the fingerprint was unchanged. */
  built: string[];
}

export interface ScheduleDeps {
  /** buildDataset (tests count its calls). */
  build?: (options: BuildOptions) => BuildSummary;
  /** Why the GPU cannot be used now, or null (train/gpu.ts; tests pass a fixed answer). */
  gpuBusy?: (device: string, busyFraction: number) => string | null;
}

/**
 * Decides, tick by tick, whether training is due. Keeps the last tick's fingerprint and example
 * count in memory (a daemon restart checks once more with buildDataset, which is itself a no-op
 * for an unchanged store): a tick with nothing new costs one aggregate query per account and the
 * latest version's row, never a rebuild.
 */
export class TrainingSchedule {
  private last: { fingerprint: string; examples: number } | null = null;
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
    const fingerprint = JSON.stringify({
      stores: accounts.map((a) => [a.account.name, a.account.addresses, storeFingerprint(db, a.id)]),
      exclusions: storedExclusions(db),
      settings: config.dataset,
    });
    const built: string[] = [];
    let examples: number;
    if (this.last?.fingerprint === fingerprint) {
      examples = this.last.examples;
    } else {
      examples = 0;
      for (const { account } of accounts) {
        examples += this.build({ db, account, settings: config.dataset }).examples;
        built.push(account.name);
      }
      this.last = { fingerprint, examples };
    }
    // Counted from the last training, promoted or not: a version that lost to the current one
    // must not start another training on the same data at every tick.
    const fresh = examples - examplesOf(latestVersion(db)?.data);
    const min = config.daemon.minNewExamples;
    if (fresh < min)
      return {
        due: false,
        reason: `${fresh} new examples since the last training (daemon.min_new_examples = ${min})`,
        freshExamples: fresh,
        built,
      };
    const busy = this.gpuBusy(config.train.device, config.train.gpuBusyFraction);
    return { due: busy === null, reason: busy, freshExamples: fresh, built };
  }
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
