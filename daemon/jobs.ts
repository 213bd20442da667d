// A single-flight queue per job kind: at most one sync, one drafting pass and one training at a
// time; a request while one runs is remembered once and runs right after (never piles up).

export type JobKind = 'sync' | 'draft' | 'train';

export interface JobState {
  kind: JobKind;
  running: boolean;
  /** Requested again while running: one more run follows. */
  again: boolean;
  startedAt: number | null;
  lastFinishedAt: number | null;
  lastError: string | null;
  runs: number;
  progress: string | null;
}

export class JobQueue {
  private readonly jobs = new Map<JobKind, JobState>();
  private readonly work = new Map<JobKind, () => Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(private readonly onChange: () => void = () => {}) {}

  define(kind: JobKind, run: () => Promise<void>): void {
    this.work.set(kind, run);
    this.jobs.set(kind, {
      kind,
      running: false,
      again: false,
      startedAt: null,
      lastFinishedAt: null,
      lastError: null,
      runs: 0,
      progress: null,
    });
  }

  /** Asks for a run of `kind`; returns at once. */
  request(kind: JobKind): void {
    const state = this.jobs.get(kind);
    const run = this.work.get(kind);
    if (!state || !run || this.stopped) return;
    if (state.running) {
      state.again = true;
      return;
    }
    state.running = true;
    state.startedAt = Date.now();
    this.onChange();
    const p = (async () => {
      do {
        state.again = false;
        try {
          await run();
          state.lastError = null;
        } catch (err) {
          state.lastError = (err as Error).message;
        }
        state.runs++;
        state.lastFinishedAt = Date.now();
        state.progress = null;
      } while (state.again && !this.stopped);
      state.running = false;
      state.startedAt = null;
      this.onChange();
    })();
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  setProgress(kind: JobKind, progress: string | null): void {
    const state = this.jobs.get(kind);
    if (state) state.progress = progress;
  }

  states(): JobState[] {
    return [...this.jobs.values()].map((s) => ({ ...s }));
  }

  /** Takes no more work and waits (up to `timeoutMs`) for running jobs. True when all finished. */
  async drain(timeoutMs: number): Promise<boolean> {
    this.stopped = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => {
      timer = setTimeout(() => r(false), timeoutMs);
    });
    const done = Promise.all([...this.inFlight]).then(() => true as const);
    const result = await Promise.race([done, timeout]);
    clearTimeout(timer);
    return result;
  }
}
