// Typed errors of the local store.

export type StoreErrorCode = 'STORE_OPEN_FAILED' | 'STORE_TOO_NEW' | 'STORE_MIGRATION_FAILED';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'StoreError';
    this.code = code;
  }
}
