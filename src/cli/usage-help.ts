// Which command's --help a usage error points to: the command the error was found in
// (`understudy model promote --help`), not the top command (`understudy model --help`), which
// only lists subcommands. Commander reports a usage error through the output hook of the command
// that found it; each command's hook records itself here.
import type { Command } from 'commander';

/** "understudy model promote": the names from the program down to `cmd`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Gives every command of `program` (registered by now) a text hint naming its own help after a
 * usage error, and records which command reported the last one. `failed()` is that command's path
 * (see commandPath), or undefined when commander reported none.
 */
export function trackUsageErrors(program: Command): { failed: () => string | undefined } {
  let failed: string | undefined;
  const visit = (cmd: Command): void => {
    const path = commandPath(cmd);
    const write = cmd.configureOutput().outputError ?? ((str: string, out: (s: string) => void) => out(str));
    cmd.showHelpAfterError(`(run ${path} --help for usage)`).configureOutput({
      outputError: (str, out) => {
        failed = path;
        write(str, out);
      },
    });
    for (const sub of cmd.commands) visit(sub);
  };
  visit(program);
  return { failed: () => failed };
}
