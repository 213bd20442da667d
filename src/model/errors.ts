// Typed errors of the model contract (base-model resolution): a `code` callers branch on, with
// the kind and one-line fix of src/errors.ts's UnderstudyError.
import { UnderstudyError } from '../errors.js';

export type ModelErrorCode = 'NO_BASE_MODEL';

/** The base model cannot be used (not pulled, or base_model names something that is no model folder). */
export class ModelError extends UnderstudyError {
  declare readonly code: ModelErrorCode;
  constructor(code: ModelErrorCode, message: string, cause?: unknown) {
    // Both messages end with what to run (understudy model pull NAME), so printers show them alone.
    super(code, 'config', message, {
      fix: 'download it with understudy model pull, or set train.base_model',
      fixInMessage: true,
      cause,
    });
    this.name = 'ModelError';
  }
}
