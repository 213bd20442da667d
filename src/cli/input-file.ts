// A file named on the command line to read (`log --file`, `mail reply-text FILE`) that is not
// there or cannot be read: the same code and exit status from every command, sysexits' EX_NOINPUT
// (66, "an input file did not exist or was not readable"), with the fix in the message.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { CliError } from './errors.js';
import { EXIT } from './exit-codes.js';

/** Codes of InputFileError: callers branch on these. */
export const INPUT_NOT_FOUND = 'INPUT_NOT_FOUND';
export const INPUT_UNREADABLE = 'INPUT_UNREADABLE';

/** An input file that does not exist (INPUT_NOT_FOUND) or cannot be read (INPUT_UNREADABLE): exit 66. */
export class InputFileError extends CliError {
  constructor(
    readonly file: string,
    message: string,
    code: typeof INPUT_NOT_FOUND | typeof INPUT_UNREADABLE,
    cause?: unknown,
  ) {
    super(message, code, EXIT.NOINPUT, cause);
    this.name = 'InputFileError';
  }
}

/**
 * The InputFileError for `err`, what reading `file` threw (a Node fs error: ENOENT, EACCES,
 * EISDIR, …). `what` names the file for people ("the log file"); `flag` is the option or
 * command that named it, for the fix. '-' (stdin) is named by `what` alone.
 */
export function inputFileError(file: string, err: unknown, what: string, flag: string): InputFileError {
  const named = file === '-' ? what : `${what} ${file}`; // '-' is stdin: `what` says so
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR')
    return new InputFileError(
      file,
      `cannot read ${named}: no such file\n  fix: check the path given to ${flag}`,
      INPUT_NOT_FOUND,
      err,
    );
  const why =
    code === 'EACCES' || code === 'EPERM'
      ? 'permission denied'
      : code === 'EISDIR'
        ? 'it is a folder, not a file'
        : ((err as Error | null)?.message ?? String(err));
  return new InputFileError(
    file,
    `cannot read ${named}: ${why}\n  fix: give ${flag} a file you can read`,
    INPUT_UNREADABLE,
    err,
  );
}

/**
 * Checks, before any work, that `file` is a regular file this process can open for reading.
 * @throws InputFileError (exit 66) when it is missing, a folder, or not readable.
 */
export function assertReadableFile(file: string, what: string, flag: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    if (fstatSync(fd).isDirectory()) {
      const err = Object.assign(new Error(`EISDIR: ${file}`), { code: 'EISDIR' });
      throw err;
    }
  } catch (err) {
    throw inputFileError(file, err, what, flag);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
