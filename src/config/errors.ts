// Typed errors for configuration and secrets; each problem names the key and the fix.

/** One thing wrong with the config, with where it is and what to do about it. */
export interface ConfigProblem {
  /** Key path in the file, e.g. `accounts[0].port`; empty for the file as a whole. */
  path: string;
  message: string;
  fix?: string;
}

export type ConfigErrorCode = 'CONFIG_NOT_FOUND' | 'CONFIG_UNREADABLE' | 'CONFIG_SYNTAX' | 'CONFIG_INVALID';

/** The config cannot be used. `problems` lists every problem found, not just the first. */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode;
  readonly file: string;
  readonly problems: ConfigProblem[];

  constructor(code: ConfigErrorCode, file: string, problems: ConfigProblem[], cause?: unknown) {
    super(formatProblems(file, problems), { cause });
    this.name = 'ConfigError';
    this.code = code;
    this.file = file;
    this.problems = problems;
  }
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

export type SecretErrorCode =
  | 'SECRET_COMMAND_FAILED'
  | 'SECRET_EMPTY'
  | 'SECRET_ENV_MISSING'
  | 'SECRET_FILE_UNREADABLE'
  | 'SECRET_FILE_PERMISSIONS'
  | 'SECRET_KEYRING_FAILED';

/** A secret could not be obtained. The message never contains the secret itself. */
export class SecretError extends Error {
  readonly code: SecretErrorCode;
  readonly account: string;
  readonly fix: string;

  constructor(code: SecretErrorCode, account: string, message: string, fix: string, cause?: unknown) {
    super(`account "${account}": ${message}\n  fix: ${fix}`, { cause });
    this.name = 'SecretError';
    this.code = code;
    this.account = account;
    this.fix = fix;
  }
}
