// Typed errors of training: the worker's error codes and training's own (GPU busy, no base
// model, another training running), each with its kind and the fix for the user.
import { type ErrorKind, UnderstudyError } from '../errors.js';

export type TrainErrorCode =
  | 'NO_TORCH'
  | 'NO_BASE_MODEL'
  | 'EMPTY_DATASET'
  | 'GPU_BUSY'
  | 'TRAINING_RUNNING'
  | 'WORKER_FAILED'
  | 'CANCELLED'
  | 'MODEL_NOT_FOUND'
  | 'MODEL_CORRUPT'
  | 'UNSUPPORTED_ARCH'
  | 'DATA_CORRUPT'
  | 'DATA_NOT_FOUND'
  | 'OUT_OF_MEMORY'
  | 'DEVICE_UNAVAILABLE'
  | 'EXPORT_FAILED'
  | 'BAD_CONFIG'
  | 'INTERNAL';

/**
 * What each code means: its kind (src/errors.ts: a command's exit code and whether the daemon
 * retries) and the one-line fix shown under the message. The worker's codes
 * (models/trainer/protocol.py ERROR_CODES) are all here; tests/unit/error-codes.test.ts checks it.
 */
export const TRAIN_ERRORS: Record<TrainErrorCode, { kind: ErrorKind; fix: string }> = {
  NO_TORCH: {
    kind: 'config',
    fix: 'install PyTorch and numpy for that Python (Debian/Ubuntu: sudo apt-get install python3-torch python3-numpy; else pip install torch numpy), or set train.python to one that has them',
  },
  NO_BASE_MODEL: { kind: 'config', fix: 'download it with understudy model pull, or set train.base_model' },
  BAD_CONFIG: {
    kind: 'config',
    fix: 'check the [train] settings with understudy config check; if they are valid, report it with --log-level debug',
  },
  MODEL_NOT_FOUND: {
    kind: 'config',
    fix: 'point train.base_model at a complete Hugging Face model folder, or download it again with understudy model pull',
  },
  MODEL_CORRUPT: {
    kind: 'final',
    fix: 'the model files are damaged or incomplete: download the base model again (understudy model pull), or restore the model version from a backup',
  },
  UNSUPPORTED_ARCH: {
    kind: 'final',
    fix: 'choose a base model of a supported family (Llama, Qwen2/2.5, Qwen3): understudy model pull --help lists the presets',
  },
  DATA_NOT_FOUND: {
    kind: 'final',
    fix: 'the training data was removed while training: run understudy train again (it rebuilds the data)',
  },
  DATA_CORRUPT: {
    kind: 'final',
    fix: 'the training data is damaged: run understudy dataset build --force, then understudy train',
  },
  EMPTY_DATASET: {
    kind: 'final',
    fix: 'sync more mail (understudy sync); understudy dataset stats shows why replies were left out',
  },
  OUT_OF_MEMORY: {
    kind: 'final',
    fix: 'lower train.batch_size or train.max_seq_len, choose a smaller base model, or set train.device = "cpu"',
  },
  DEVICE_UNAVAILABLE: {
    kind: 'final',
    fix: 'set train.device = "auto" (or "cpu"), and train.precision = "auto"',
  },
  EXPORT_FAILED: {
    kind: 'final',
    fix: 'check the free space and permissions of data_dir; if it repeats, report it with --log-level debug',
  },
  INTERNAL: {
    kind: 'final',
    fix: 'this is a bug in Understudy: report it with the message and --log-level debug output',
  },
  WORKER_FAILED: {
    kind: 'final',
    fix: 'the lines above are the worker’s last output; if it was killed for memory, lower train.batch_size or train.max_seq_len',
  },
  CANCELLED: { kind: 'final', fix: 'continue with understudy train --resume' },
  GPU_BUSY: { kind: 'temporary', fix: 'training runs when the GPU is free; try again later' },
  TRAINING_RUNNING: { kind: 'temporary', fix: 'wait for it to end (understudy status shows it)' },
};

/**
 * A training (or worker) failure; `kind` and `fix` come from TRAIN_ERRORS for its code. The
 * message already says what to do (the worker's messages end with it, and so do training's own),
 * so printers show the message alone; `fix` is for logs and the daemon's status.
 */
export class TrainError extends UnderstudyError {
  declare readonly code: TrainErrorCode;
  declare readonly fix: string;
  constructor(code: TrainErrorCode, message: string, cause?: unknown) {
    // An unknown code (a newer worker) is still an error with a meaning: a bug to report.
    const meaning = TRAIN_ERRORS[code] ?? TRAIN_ERRORS.INTERNAL;
    super(code, meaning.kind, message, { fix: meaning.fix, fixInMessage: true, cause });
    this.name = 'TrainError';
  }
}
