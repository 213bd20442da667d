// Typed errors for configuration and secrets (kind `config`: exit 78, the daemon stops); each
// problem names the key and the fix.
import { UnderstudyError } from '../errors.js';

/** One thing wrong with the config, with where it is and what to do about it. */
export interface ConfigProblem {
  /** Key path in the file, e.g. `accounts[0].port`; empty for the file as a whole. */
  path: string;
  message: string;
  fix?: string;
}

export type ConfigErrorCode = 'CONFIG_NOT_FOUND' | 'CONFIG_UNREADABLE' | 'CONFIG_SYNTAX' | 'CONFIG_INVALID';

/**
 * The config cannot be used. `problems` lists every problem found, not just the first; the
 * message shows each with its own fix, and `fix` sums them up for logs.
 */
export class ConfigError extends UnderstudyError {
  declare readonly code: ConfigErrorCode;
  readonly file: string;
  readonly problems: ConfigProblem[];

  constructor(code: ConfigErrorCode, file: string, problems: ConfigProblem[], cause?: unknown) {
    super(code, 'config', formatProblems(file, problems), {
      fix: configFix(file, problems),
      fixInMessage: true,
      cause,
    });
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
  }
}

/** One line for the whole file: the problem's own fix when there is one problem, else where to look. */
function configFix(file: string, problems: ConfigProblem[]): string {
  const fixes = problems.filter((p) => p.fix);
  if (problems.length === 1 && fixes.length === 1) return fixes[0]?.fix as string;
  return `edit ${file} as each problem above says, then run understudy config check`;
}

export function formatProblems(file: string, problems: ConfigProblem[]): string {
  const head =
    problems.length === 1
      ? `Config file ${file} has a problem:`
      : `Config file ${file} has ${problems.length} problems:`;
  const lines = problems.map((p) => {
    const where = p.path ? `${p.path}: ` : '';
    return `  - ${where}${p.message}${p.fix ? `\n    fix: ${p.fix}` : ''}`;
  });
  return [head, ...lines].join('\n');
}

/**
 * The same situation has the same code whatever the source (tests/contract/secret-sources.test.ts):
 * SECRET_MISSING the source has no secret (variable not set, no file, no keyring entry, command not
 * found); SECRET_EMPTY it has an empty one; SECRET_TIMEOUT a command did not finish in time. The
 * others are one source's own failures.
 */
export type SecretErrorCode =
  | 'SECRET_MISSING'
  | 'SECRET_EMPTY'
  | 'SECRET_TIMEOUT'
  | 'SECRET_COMMAND_FAILED'
  | 'SECRET_FILE_UNREADABLE'
  | 'SECRET_FILE_PERMISSIONS'
  | 'SECRET_KEYRING_FAILED';

/** A secret could not be obtained. The message never contains the secret itself; it ends with the fix. */
export class SecretError extends UnderstudyError {
  declare readonly code: SecretErrorCode;
  declare readonly fix: string;
  readonly account: string;

  constructor(code: SecretErrorCode, account: string, message: string, fix: string, cause?: unknown) {
    super(code, 'config', `account "${account}": ${message}\n  fix: ${fix}`, { fix, fixInMessage: true, cause });
    this.name = 'SecretError';
    this.account = account;
  }
}
