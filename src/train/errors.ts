// Typed errors of training, carrying the worker's error codes.

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

export class TrainError extends Error {
  readonly code: TrainErrorCode;
  constructor(code: TrainErrorCode, message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'TrainError';
    this.code = code;
  }
}
