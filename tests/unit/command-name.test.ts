// The CLI loads only the module of the command it runs: which command argv names, and that the
// program built for it has that command alone while help and typos get every command.
import { describe, expect, it } from 'vitest';
import { buildProgram, commandName, versionOnly } from '../../src/cli/main.js';

describe('commandName', () => {
  it.each([
    [['sync'], 'sync'],
    [['sync', '--json'], 'sync'],
    [['--config', 'sync', 'status'], 'status'],
    [['-c', 'x.toml', '--log-level', 'debug', 'draft', '--dry-run'], 'draft'],
    [['--log-level=debug', 'model', 'list'], 'model'],
    [['--config=/tmp/sync', 'train'], 'train'],
  ])('%j names %s', (args, name) => {
    expect(commandName(args)).toBe(name);
  });

  it.each([[[]], [['--help']], [['help', 'sync']], [['synk']], [['--', 'sync']], [['toString']]])(
    '%j names no command (the full program answers)',
    (args) => {
      expect(commandName(args)).toBeUndefined();
    },
  );
});

describe('buildProgram', () => {
  it('registers only the named command, or all of them', async () => {
    expect((await buildProgram('sync')).commands.map((c) => c.name())).toEqual(['sync']);
    const all = (await buildProgram()).commands.map((c) => c.name());
    expect(all).toEqual(expect.arrayContaining(['init', 'sync', 'status', 'draft', 'daemon', 'config', 'secret']));
    expect(all.length).toBeGreaterThanOrEqual(14);
  });
});

describe('versionOnly', () => {
  it.each([[['--version']], [['-V']], [['-c', 'x.toml', '--version']], [['--log-level=debug', '-V']]])(
    '%j asks for the version alone (no command module is loaded)',
    (args) => {
      expect(versionOnly(args)).toBe(true);
    },
  );

  it.each([[[]], [['sync', '--version']], [['--version', '--help']], [['-c', 'x.toml']], [['--version', 'synk']]])(
    '%j asks for more than the version',
    (args) => {
      expect(versionOnly(args)).toBe(false);
    },
  );

  it('builds a program with no command for it, which still prints the version', async () => {
    const program = await buildProgram(null);
    expect(program.commands).toEqual([]);
    let out = '';
    program.configureOutput({ writeOut: (s) => (out += s) });
    await expect(program.parseAsync(['node', 'understudy', '--version'])).rejects.toMatchObject({ exitCode: 0 });
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
