// `--json` on failure: a script that asked for JSON gets a JSON error object on stdout (the human
// message still goes to stderr), from every command, also when it fails before doing anything (no
// config file, a bad option). One shape for all: `{ok: false, error: {code, kind, message, fix,
// exitCode}}`; a command may add its own fields (config check: valid, file, problems).
import type { Command } from 'commander';
import { isUnderstudyError } from '../errors.js';
import type { Reported } from './errors.js';

/** The `error` member of a failed command's JSON: what `describeError` says, with the fix apart. */
export interface JsonErrorBody {
  /** The error's constant code (e.g. CONFIG_NOT_FOUND, USAGE, INTERNAL): what scripts branch on. */
  code: string;
  /** temporary, auth, config, usage or final (src/errors.ts); absent for an unclassified error. */
  kind?: string;
  /** The problem, as stderr says it (a config or command-line error says its fix in it too). */
  message: string;
  /** What to do about it, when there is something to do (some messages say it as well). */
  fix?: string;
  /** The process's exit code (README's table). */
  exitCode: number;
}

export interface JsonError {
  ok: false;
  error: JsonErrorBody;
}

/** A message that says its own fix: the problem, then a line "  fix: …" (CliError's layout). */
const FIX_IN_MESSAGE = /^([\s\S]*?)\n\s*fix:\s*([\s\S]+)$/;

/** Errors whose JSON a command already wrote itself: main's printer does not write a second one. */
const written = new WeakSet<object>();

/**
 * The JSON error object for `err` as `describeError` reported it (`reported`). An UnderstudyError
 * gives its message and fix apart; anything else the reported message (which already carries the
 * "this is a bug" advice).
 */
export function jsonError(err: unknown, reported: Reported): JsonError {
  if (isUnderstudyError(err)) {
    // The fix apart also when the message says it too (a config error's lists one per problem).
    // A CliError says its fix inside its message ("…\n  fix: …"): JSON gives it apart, as README's
    // shape has it, so a script need not parse the message.
    const inline = !err.fix && err.fixInMessage ? FIX_IN_MESSAGE.exec(err.message) : null;
    const fix = err.fix ? { fix: err.fix } : inline?.[2] ? { fix: inline[2].trim() } : {};
    // A secret's message is the account's name only; describeError says what failed around it.
    const message = err.name === 'SecretError' ? reported.message : inline ? (inline[1] ?? '') : err.message;
    return { ok: false, error: { code: err.code, kind: err.kind, message, ...fix, exitCode: reported.exitCode } };
  }
  return { ok: false, error: { code: reported.code, message: reported.message, exitCode: reported.exitCode } };
}

/**
 * Marks `err` as already answered in the command's own JSON (`mail reply-text --json` writes one
 * `{file, error}` line per failed file, then throws a summary): main writes no object for it.
 */
export function markJsonAnswered(err: unknown): void {
  if (err !== null && typeof err === 'object') written.add(err);
}

/**
 * Writes `{...extra, ...jsonError}` for `err` on stdout now and marks `err` as answered, for a
 * command that adds fields of its own; main's printer then writes nothing more for it.
 */
export function writeJsonError(err: unknown, reported: Reported, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ ...extra, ...jsonError(err, reported) }, null, 2)}\n`);
  markJsonAnswered(err);
}

/**
 * For main's error printer: writes the JSON error object for `err` on stdout when the command was
 * given `--json` (`requested`) and has not answered it in its own JSON already. One line: after
 * the JSON lines of `log --json` it is one more line, alone it is a whole JSON document.
 */
export function printJsonError(err: unknown, reported: Reported, requested: boolean): void {
  if (!requested || (err !== null && typeof err === 'object' && written.has(err))) return;
  process.stdout.write(`${JSON.stringify(jsonError(err, reported))}\n`);
}

/**
 * Remembers whether the command that runs was given `--json` (commander's preAction hook: the
 * options are parsed by then); `requested()` answers it afterwards. Before the action runs (a
 * usage error found while parsing) it falls back to `--json` among the command line's words
 * before `--`.
 */
export function trackJsonOption(program: Command, argv: string[]): { requested: () => boolean } {
  let seen: boolean | undefined;
  program.hook('preAction', (_root, action) => {
    // `--gguf --json` gave "--json" to --gguf (refused as a usage error, src/cli/option-values.ts):
    // the user still asked for JSON.
    const opts = action.opts<Record<string, unknown>>();
    seen = opts.json === true || Object.values(opts).includes('--json');
  });
  return {
    requested: () => {
      if (seen !== undefined) return seen;
      const end = argv.indexOf('--');
      return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
    },
  };
}
