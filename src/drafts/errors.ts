// Errors of the drafting run, with a code callers branch on and the fix for the user.

export type DraftErrorCode = 'MODEL_UNAVAILABLE';

/** A drafting run could not go on; `fix` says what the user can do. The original error is `cause`. */
export class DraftError extends Error {
  readonly code: DraftErrorCode;
  readonly fix: string;
  constructor(code: DraftErrorCode, message: string, fix: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'DraftError';
    this.code = code;
    this.fix = fix;
  }
}
