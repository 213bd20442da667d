// Typed errors of training's own steps: the GPU is busy, another training runs, there is nothing
// to resume or nothing to train on. The Python worker's failures are WorkerErrors
// (src/worker/errors.ts); a missing base model is a ModelError (src/model/errors.ts).
import { type ErrorKind, UnderstudyError } from '../errors.js';

export type TrainErrorCode = 'GPU_BUSY' | 'TRAINING_RUNNING' | 'NOTHING_TO_RESUME' | 'EMPTY_DATASET';

/** What each code means: its kind (src/errors.ts: exit code, whether the daemon retries) and fix. */
export const TRAIN_ERRORS: Record<TrainErrorCode, { kind: ErrorKind; fix: string }> = {
  GPU_BUSY: { kind: 'temporary', fix: 'training runs when the GPU is free; try again later' },
  TRAINING_RUNNING: { kind: 'temporary', fix: 'wait for it to end (understudy status shows it)' },
  NOTHING_TO_RESUME: { kind: 'usage', fix: 'run understudy train without --resume to start a new training' },
  EMPTY_DATASET: {
    kind: 'final',
    fix: 'sync more mail (understudy sync); understudy dataset stats shows why replies were left out',
  },
};

/**
 * A training step could not run; `kind` and `fix` come from TRAIN_ERRORS for its code. The
 * message already says what to do, so printers show it alone; `fix` is for logs and status.
 */
export class TrainError extends UnderstudyError {
  declare readonly code: TrainErrorCode;
  declare readonly fix: string;
  constructor(code: TrainErrorCode, message: string, cause?: unknown) {
    const meaning = TRAIN_ERRORS[code];
    super(code, meaning.kind, message, { fix: meaning.fix, fixInMessage: true, cause });
    this.name = 'TrainError';
  }
}
