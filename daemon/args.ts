// The daemon's command line: `understudy [--config PATH] [--log-level LEVEL] daemon`, the global
// options the CLI documents (its help, `understudy daemon --help`, comes from src/cli, which
// bin/understudy.js asks for help; this process only runs the daemon).
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { UnderstudyError } from '../src/errors.js';

export interface DaemonArgs {
  configPath?: string;
  logLevel?: string;
}

/** A command line the daemon cannot run with (kind usage: exit 64). */
function usage(message: string, cause?: unknown): UnderstudyError {
  return new UnderstudyError('DAEMON_USAGE', 'usage', message, {
    fix: 'run understudy daemon --help for the options',
    cause,
  });
}

/** pino's levels, which --log-level and the config's log_level accept. */
const LEVELS = [...Object.keys(pino.levels.values), 'silent'];

/**
 * Reads `argv` (without node and the script). Throws an UnderstudyError of kind `usage` for an unknown option, a
 * missing value, a level pino does not know, or a word other than `daemon`.
 */
export function parseDaemonArgs(argv: string[]): DaemonArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    // node's first sentence names the problem ("Unknown option '--bogus'"); the rest is about
    // positionals, which the daemon takes none of.
    throw usage((err as Error).message.split(/\.\s/)[0] ?? String(err), err);
  }
  const words = parsed.positionals;
  if (words.length !== 1 || words[0] !== 'daemon')
    throw usage(`unexpected argument '${words.find((w) => w !== 'daemon') ?? ''}'`);
  const level = parsed.values['log-level'];
  if (level !== undefined && !LEVELS.includes(level))
    throw usage(`--log-level '${level}' is not one of ${LEVELS.join(', ')}`);
  return {
    ...(parsed.values.config ? { configPath: parsed.values.config } : {}),
    ...(level ? { logLevel: level } : {}),
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' }, 'log-level': { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
}
