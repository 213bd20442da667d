// The error codes of the Python worker as the TypeScript side knows them, and the one error type
// its client throws, so that `train`, `model` and `drafts` branch on the same codes.
import { type ErrorKind, UnderstudyError } from '../errors.js';

/**
 * The codes the worker itself reports in an `{"event":"error","code":…}` line: the keys of
 * ERROR_CODES in models/trainer/protocol.py, in the same order (a unit test keeps the two equal).
 */
export const WORKER_PROTOCOL_CODES = [
  'NO_TORCH',
  'BAD_CONFIG',
  'MODEL_NOT_FOUND',
  'MODEL_CORRUPT',
  'UNSUPPORTED_ARCH',
  'DATA_NOT_FOUND',
  'DATA_CORRUPT',
  'EMPTY_DATASET',
  'OUT_OF_MEMORY',
  'DEVICE_UNAVAILABLE',
  'EXPORT_FAILED',
  'INTERNAL',
] as const;

/**
 * Codes the client adds for what the worker cannot report itself: it died without an error line
 * (WORKER_FAILED: killed, crashed), it was asked to stop (CANCELLED), or `nice`, which starts it
 * at lower priority (train.nice), is not installed (NO_NICE).
 */
export const WORKER_CLIENT_CODES = ['WORKER_FAILED', 'CANCELLED', 'NO_NICE'] as const;

export type WorkerErrorCode = (typeof WORKER_PROTOCOL_CODES)[number] | (typeof WORKER_CLIENT_CODES)[number];

/** Whether `code` (from an error line of the worker) is one this side knows. */
export function isWorkerErrorCode(code: unknown): code is WorkerErrorCode {
  return (
    typeof code === 'string' &&
    ((WORKER_PROTOCOL_CODES as readonly string[]).includes(code) ||
      (WORKER_CLIENT_CODES as readonly string[]).includes(code))
  );
}

/**
 * What each code means for the user: its kind (a command's exit code; whether the daemon goes on)
 * and the one line telling them what to do.
 */
export const WORKER_ERRORS: Record<WorkerErrorCode, { kind: ErrorKind; fix: string }> = {
  NO_TORCH: {
    kind: 'config',
    fix: 'install PyTorch and numpy for that Python (Debian/Ubuntu: sudo apt-get install python3-torch python3-numpy; else pip install torch numpy), or set train.python to one that has them',
  },
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
  // The client's own message ends with these words, so they are printed once.
  CANCELLED: { kind: 'final', fix: 'continue with --resume' },
  NO_NICE: {
    kind: 'config',
    fix: 'install nice (Debian/Ubuntu: sudo apt-get install coreutils), or set train.nice = 0 in the config to train at normal priority',
  },
};

/**
 * A failure of the Python worker or of starting it. `message` says what happened (the worker's
 * own message for its codes); `kind` and `fix` come from WORKER_ERRORS, and printers show the fix
 * under the message unless `fixInMessage` says the message already gives it in its own words;
 * `cause` is the underlying error when there is one.
 */
export class WorkerError extends UnderstudyError {
  declare readonly code: WorkerErrorCode;
  declare readonly fix: string;
  constructor(code: WorkerErrorCode, message: string, cause?: unknown, options: { fixInMessage?: boolean } = {}) {
    const meaning = WORKER_ERRORS[code] ?? WORKER_ERRORS.INTERNAL;
    super(code, meaning.kind, message, { fix: meaning.fix, cause, fixInMessage: options.fixInMessage ?? false });
    this.name = 'WorkerError';
  }
}
