// Refuses an option value that is another option: commander gives `--gguf <file>` the next word
// whatever it is, so `model export --gguf --json` wrote the model to a file named "--json" (and
// `report --out --json`, `log --file -f`, `init --ca-file --user` the same). One check, before any
// command runs, over every option that takes a value, so a new option gets it too.
import type { Command, Option } from 'commander';
import { CliError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { commandPath } from './usage-help.js';

/** A word that is an option, not a value: "-x", "--json"; not "-" (stdin/stdout) nor "-5". */
const OPTION_LIKE = /^--?[A-Za-z]/;

/**
 * Registers a preAction hook on `program` that throws a CliError (BAD_OPTION_VALUE, exit 64) when an
 * option given on the command line took an option-looking word as its value. Written as
 * `--gguf=--odd-name` the value is taken as typed: the `=` says it is meant.
 */
export function refuseOptionLikeValues(program: Command): void {
  program.hook('preAction', (_root, action) => {
    // rawArgs is public in commander but missing from its typings: the words as typed, `=` forms included.
    const raw = ((program as unknown as { rawArgs?: string[] }).rawArgs ?? process.argv).slice(2);
    for (let cmd: Command | null = action; cmd; cmd = cmd.parent) {
      for (const option of cmd.options as readonly Option[]) {
        if (!option.required && !option.optional) continue;
        const key = option.attributeName();
        if (cmd.getOptionValueSource(key) !== 'cli') continue;
        const value: unknown = cmd.getOptionValue(key);
        const values = Array.isArray(value) ? value : [value];
        for (const v of values) {
          if (typeof v !== 'string' || !OPTION_LIKE.test(v)) continue;
          if (option.long && raw.includes(`${option.long}=${v}`)) continue;
          const flag = option.long ?? option.short ?? option.flags;
          // A global option (--config) is explained by the program's help, a command's by its own.
          const path = commandPath(cmd);
          throw new CliError(
            `${flag} needs ${option.flags.replace(/^.*?([<[])/, '$1')} after it, but the next word is ${v}, an option\n` +
              `  fix: put the value right after ${flag} (see ${path} --help); a value that really starts with "-" is written ${flag}=${v}`,
            'BAD_OPTION_VALUE',
            EXIT.USAGE,
          );
        }
      }
    }
  });
}
