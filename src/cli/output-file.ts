// A file named on the command line to write (`dataset export OUT`, `model export --gguf FILE`) that
// cannot be written: said as that file, with its reason and fix, sysexits' EX_CANTCREAT (73, "a
// (user specified) output file cannot be created"). Without this a missing folder reached the
// store's error classifier and was reported as "cannot open the local store … set data_dir".
import { CliError } from './errors.js';
import { EXIT } from './exit-codes.js';

/** The code of OutputFileError: callers branch on it. */
export const OUTPUT_UNWRITABLE = 'OUTPUT_UNWRITABLE';

/** An output file that cannot be created or written: exit 73. */
export class OutputFileError extends CliError {
  constructor(
    readonly file: string,
    message: string,
    cause?: unknown,
  ) {
    super(message, OUTPUT_UNWRITABLE, EXIT.CANTCREAT, cause);
    this.name = 'OutputFileError';
  }
}

/** The errno codes of a path that cannot be written (Node fs errors), with the reason in words. */
const REASONS: Record<string, string> = {
  ENOENT: 'its folder does not exist',
  ENOTDIR: 'a part of its path is a file, not a folder',
  EISDIR: 'it is a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'the file system is read-only',
  ENOSPC: 'the disk is full',
};

/**
 * The OutputFileError for `err`, what writing `file` threw, when it is one of the file-system
 * reasons above; null for anything else (the caller rethrows it). `flag` names the argument that
 * gave the path, for the fix.
 */
export function outputFileError(file: string, err: unknown, flag: string): OutputFileError | null {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const why = code ? REASONS[code] : undefined;
  if (!why) return null;
  return new OutputFileError(
    file,
    `cannot write ${file}: ${why} (${code})\n  fix: give ${flag} a path in a folder that exists and you can write`,
    err,
  );
}
