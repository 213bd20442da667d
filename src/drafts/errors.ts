// Errors of the drafting run, with a code callers branch on and the fix for the user.
import { UnderstudyError } from '../errors.js';

export type DraftErrorCode = 'MODEL_UNAVAILABLE';

/**
 * A drafting run could not go on; `fix` says what the user can do. The original error is `cause`.
 * MODEL_UNAVAILABLE is `final` for this run (the daemon goes on and drafts once a model exists);
 * a command exits 78 for it (src/errors.ts).
 */
export class DraftError extends UnderstudyError {
  declare readonly code: DraftErrorCode;
  declare readonly fix: string;
  constructor(code: DraftErrorCode, message: string, fix: string, cause?: unknown) {
    super(code, 'final', message, { fix, cause });
    this.name = 'DraftError';
  }
}
