// Every option that takes a value, in every command: an option-looking next word (`--gguf --json`) is a usage
// error naming the option and the command's help, never taken as the value (a file named "--json"). And every
// command's usage hint names that command's own help.
import type { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/errors.js';
import { buildProgram } from '../../src/cli/main.js';
import { refuseOptionLikeValues } from '../../src/cli/option-values.js';
import { commandPath, trackUsageErrors } from '../../src/cli/usage-help.js';

/** Every command that runs an action (leaves and commands with an action), with its path below the program. */
function runnable(program: Command): { cmd: Command; words: string[] }[] {
  const out: { cmd: Command; words: string[] }[] = [];
  const visit = (cmd: Command, words: string[]) => {
    if (cmd.commands.length === 0) out.push({ cmd, words });
    for (const sub of cmd.commands) visit(sub, [...words, sub.name()]);
  };
  visit(program, []);
  return out;
}

/** The command line for `cmd` with `option` followed by `next`, its required arguments and other required options filled in. */
function lineFor(cmd: Command, words: string[], option: Option, next: string): string[] {
  const line = [...words];
  for (const other of cmd.options as readonly Option[]) {
    if (other.mandatory && other !== option) line.push(other.long ?? '', 'x.gguf');
  }
  line.push(option.long ?? option.short ?? '', next);
  for (const arg of cmd.registeredArguments) if (arg.required) line.push('1');
  return line;
}

async function parse(program: Command, line: string[]): Promise<unknown> {
  try {
    await program.parseAsync(['node', 'understudy', ...line]);
    return null;
  } catch (err) {
    return err;
  }
}

describe('an option value that is another option', () => {
  it('is refused for every value option of every command (and the global ones)', async () => {
    const program = await buildProgram();
    const cases: string[] = [];
    for (const { cmd, words } of runnable(program)) {
      const options = [...(cmd.options as readonly Option[]), ...(program.options as readonly Option[])];
      for (const option of options) {
        if (!option.required && !option.optional) continue;
        if (option.argChoices) continue; // commander refuses those itself (--log-level)
        for (const next of ['--json', '-q']) {
          const p = await buildProgram(words[0]);
          p.exitOverride();
          for (const c of runnable(p)) c.cmd.exitOverride();
          refuseOptionLikeValues(p);
          // Never run a command here: an action reached means the value was accepted.
          p.hook('preAction', () => {
            throw new Error(`ran ${words.join(' ')} with ${option.long} ${next}`);
          });
          const err = await parse(p, lineFor(cmd, words, option, next));
          cases.push(`${words.join(' ')} ${option.long}`);
          expect(err, `${words.join(' ')} ${option.long} ${next}`).toBeInstanceOf(CliError);
          const e = err as CliError;
          expect(e.code).toBe('BAD_OPTION_VALUE');
          expect(e.exitCode).toBe(64);
          expect(e.message).toContain(`${option.long} needs`);
          expect(e.message).toContain(next);
          const owner = (cmd.options as readonly Option[]).includes(option)
            ? `understudy ${words.join(' ')}`
            : 'understudy';
          expect(e.message).toContain(`see ${owner} --help`);
        }
      }
    }
    // The ones the newcomer met, and a few more, are among those checked.
    for (const c of ['model export --gguf', 'report --out', 'log --file', 'init --ca-file', 'init --password-file'])
      expect(cases).toContain(c);
  });

  it('takes a value written with = as meant, and values that only start with a dash ("-", "-5")', async () => {
    for (const line of [
      ['model', 'export', '--gguf=--odd.gguf'],
      ['model', 'export', '--gguf', '-'],
      ['dataset', 'show', '--seed', '-5'],
    ]) {
      const p = await buildProgram(line[0]);
      p.exitOverride();
      refuseOptionLikeValues(p);
      let ran = false;
      p.hook('preAction', () => {
        ran = true;
        throw new Error('stop here');
      });
      const err = await parse(p, line);
      expect(ran, line.join(' ')).toBe(true);
      expect((err as Error).message).toBe('stop here');
    }
  });
});

describe('usage errors name the help of the command they were found in', () => {
  it.each([
    [['model', 'promote', '--bogus'], 'understudy model promote'],
    [['model', 'promote'], 'understudy model promote'],
    [['dataset', 'export', '--bogus', 'x'], 'understudy dataset export'],
    [['model', 'promot'], 'understudy model'],
    [['--bogus'], 'understudy'],
  ])('%j → %s --help', async (line, help) => {
    const p = await buildProgram(line[0]?.startsWith('-') ? undefined : line[0]);
    const written: string[] = [];
    const quiet = (c: Command): void => {
      c.configureOutput({ writeErr: (s) => written.push(s), writeOut: (s) => written.push(s) });
      c.commands.forEach(quiet);
    };
    quiet(p);
    const usage = trackUsageErrors(p);
    const err = await parse(p, line);
    expect(err).toBeTruthy();
    expect(usage.failed()).toBe(help);
    expect(written.join('')).toContain(`(run ${help} --help for usage)`);
  });

  it('commandPath is the names from the program down', async () => {
    const p = await buildProgram('model');
    const promote = p.commands.find((c) => c.name() === 'model')?.commands.find((c) => c.name() === 'promote');
    expect(promote && commandPath(promote)).toBe('understudy model promote');
  });
});
