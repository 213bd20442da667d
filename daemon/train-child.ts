// Runs one training as its own process (`understudy train --json`), so its memory and CPU never
// block drafting (its worker runs at lower priority, train.nice), and returns a typed outcome the
// daemon branches on: fields, never the text of a message. On stop the child is asked to
// checkpoint (SIGINT).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod'; // the namespace form lets esbuild drop the parts of zod not used (its locales)
import type { TrainingStatus } from '../src/store/daemon-status-file.js';

/** How a training the daemon started ended. */
export type TrainingOutcome =
  /** Trained and registered `version`; `decision` says why it was (not) promoted. */
  | { status: Extract<TrainingStatus, 'promoted' | 'not_promoted'>; version: number; decision: string }
  /** The child failed (its exit code; null when it could not start) or its result was unreadable. */
  | { status: 'failed'; exitCode: number | null; message: string }
  /** Not started: training was not due (too few new examples, the GPU busy). */
  | { status: 'skipped'; reason: string };

/** The part of `understudy train --json`'s result (src/train/run.ts TrainResult) the daemon reads. */
const TrainResultFields = z.object({
  promoted: z.boolean(),
  version: z.object({ id: z.number().int() }),
  decision: z.string(),
});

/** The sentence for the log and the status file, e.g. "promoted version 3: beats version 2 on …". */
export function describeOutcome(outcome: TrainingOutcome): string {
  switch (outcome.status) {
    case 'promoted':
      return `promoted version ${outcome.version}: ${outcome.decision}`;
    case 'not_promoted':
      return `not promoted version ${outcome.version}: ${outcome.decision}`;
    case 'failed':
      return outcome.exitCode === null
        ? `failed to start: ${outcome.message}`
        : `failed (exit ${outcome.exitCode}): ${outcome.message}`;
    case 'skipped':
      return `skipped: ${outcome.reason}`;
  }
}

/**
 * The outcome of a child that exited with `code` (128 + the signal's number when a signal ended
 * it, as a shell says), from its stdout (the --json result) and the
 * last line of its stderr (its error message). Exported for the unit test.
 */
export function outcomeOf(code: number, stdout: string, stderr: string): TrainingOutcome {
  const lastLine = stderr.trim().split('\n').at(-1) ?? '';
  if (code !== 0) return { status: 'failed', exitCode: code, message: lastLine };
  let parsed: z.infer<typeof TrainResultFields>;
  try {
    parsed = TrainResultFields.parse(JSON.parse(stdout));
  } catch (err) {
    return {
      status: 'failed',
      exitCode: 0,
      message: `the training finished but its result could not be read (${(err as Error).message.split('\n')[0]})`,
    };
  }
  return {
    status: parsed.promoted ? 'promoted' : 'not_promoted',
    version: parsed.version.id,
    decision: parsed.decision,
  };
}

export interface TrainChildOptions {
  /** The config file the daemon runs with (passed on as --config and UNDERSTUDY_CONFIG). */
  configFile: string;
  /** Given on the daemon's command line; null when the default location was used. */
  configPath: string | null;
  /** Aborting asks the child to checkpoint and stop (SIGINT, like Ctrl-C). */
  signal: AbortSignal;
  /** Each progress line the child writes to stderr. */
  onLine: (line: string) => void;
}

/** Starts `understudy train --json` and resolves with its outcome; never rejects. */
export function trainInChild(options: TrainChildOptions): Promise<TrainingOutcome> {
  const here = dirname(fileURLToPath(import.meta.url));
  // From dist/ (the bundle) or from daemon/ (run from source): bin/ is one level up either way.
  const cli =
    [join(here, '../bin/understudy.js'), join(here, '../../bin/understudy.js')].find((p) => existsSync(p)) ??
    join(here, '../bin/understudy.js');
  const args = [cli, ...(options.configPath ? ['--config', options.configPath] : []), 'train', '--json'];
  const { signal } = options;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, UNDERSTUDY_CONFIG: options.configFile, UNDERSTUDY_PARENT_PID: String(process.pid) },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
      const last = b.toString().trim().split('\n').at(-1);
      if (last) options.onLine(last);
    });
    const onAbort = () => child.kill('SIGINT');
    signal.addEventListener('abort', onAbort, { once: true });
    // Could not start at all (EAGAIN, EMFILE): a failed training, never an unhandled 'error'.
    child.on('error', (e) => {
      signal.removeEventListener('abort', onAbort);
      resolve({ status: 'failed', exitCode: null, message: e.message });
    });
    child.on('close', (code, killedBy) => {
      signal.removeEventListener('abort', onAbort);
      resolve(outcomeOf(code ?? 128 + (killedBy ? (constants.signals[killedBy] ?? 0) : 0), out, err));
    });
  });
}
