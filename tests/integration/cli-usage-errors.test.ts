// Usage errors of the built CLI: an option-looking word is never taken as an option's value (`model export
// --gguf --json` wrote a file named "--json"), and a usage error's text and JSON fix name the help of the
// subcommand it was found in (`understudy model promote --help`), not of its parent.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { newAccount, runCli } from '../helpers/account.js';

const server = inject('dovecot');

/** The JSON error object a failed `--json` command printed on stdout. */
function jsonError(stdout: string): {
  ok: boolean;
  error: { code: string; kind: string; fix?: string; exitCode: number };
} {
  const line = stdout.split('\n').find((l) => l.startsWith('{"ok":false'));
  expect(line, stdout).toBeDefined();
  return JSON.parse(line ?? '{}');
}

describe('an option value that is another option', () => {
  it('model export --gguf --json: exit 64, no file named --json, the JSON error names --gguf and the help', async () => {
    const account = newAccount(server);
    const out = mkdtempSync(join(tmpdir(), 'understudy-export-'));
    const r = await runCli(['--config', account.configFile, 'model', 'export', '--gguf', '--json']);
    expect(r.code, r.stderr).toBe(64);
    expect(r.stderr).toMatch(/--gguf needs <file> after it, but the next word is --json/);
    expect(r.stderr).toContain('see understudy model export --help');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync('--json')).toBe(false);
    expect(existsSync(join(out, '--json'))).toBe(false);
    const err = jsonError(r.stdout);
    expect(err.error.code).toBe('BAD_OPTION_VALUE');
    expect(err.error.exitCode).toBe(64);
    expect(err.error.fix).toContain('understudy model export --help');
  });

  it.each([
    [['report', '--out', '--json'], '--out'],
    [['log', '--file', '-f'], '--file'],
    [['init', '--password-file', '--ca-file'], '--password-file'],
    [['dataset', 'show', '--sample', '--json'], '--sample'],
  ])('%j: exit 64 naming %s', async (line, flag) => {
    const account = newAccount(server);
    const r = await runCli(['--config', account.configFile, ...line]);
    expect(r.code, r.stderr).toBe(64);
    expect(r.stderr).toContain(`${flag} needs`);
    const command = line
      .slice(
        0,
        line.findIndex((w) => w.startsWith('-')),
      )
      .join(' ');
    expect(r.stderr).toContain(`see understudy ${command} --help`);
  });
});

describe('a usage error names the subcommand’s help', () => {
  it.each([
    [['model', 'promote', '--json', '--bogus'], 'understudy model promote --help'],
    [['model', 'promote', '--json'], 'understudy model promote --help'],
    [['dataset', 'export', '--json', '--nope', 'x.jsonl'], 'understudy dataset export --help'],
    [['model', 'promot', '--json'], 'understudy model --help'],
  ])('%j → %s, in the text and in the JSON fix', async (line, help) => {
    const account = newAccount(server);
    const r = await runCli(['--config', account.configFile, ...line]);
    expect(r.code, r.stderr).toBe(64);
    expect(r.stderr).toContain(`(run ${help} for usage)`);
    const err = jsonError(r.stdout);
    expect(err.error.code).toBe('USAGE');
    expect(err.error.fix).toBe(`see ${help} for the commands and options`);
  });
});
