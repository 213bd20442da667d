// A newcomer's wrong paths and numbers on the command line, against the built CLI and the real
// Dovecot: an output file that cannot be written is said as that file (exit 73), never as "the
// local store", and leaves no temporary file; a version number that names no version is a bad
// argument (64) in every model command, as README's "same code for the same cause" promises.
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { newAccount, runCli, type TestAccount } from '../helpers/account.js';

const server = inject('dovecot');
/** A line of a JavaScript stack trace ("    at fn (file:1:2)"). */
const STACK = /^\s+at .+[:(]/m;

describe('paths and version numbers a newcomer gets wrong', () => {
  let account: TestAccount;
  beforeAll(async () => {
    account = newAccount(server);
    const r = await runCli(['--config', account.configFile, 'sync', '-q']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('dataset export into a folder that does not exist: 73, names the file and its folder, not the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-out-'));
    const out = join(dir, 'missing', 'pairs.jsonl');
    const r = await runCli(['--config', account.configFile, 'dataset', 'export', out]);
    expect(r.code, r.stderr).toBe(73);
    expect(r.stderr).toContain(out);
    expect(r.stderr).toMatch(/folder does not exist/);
    expect(r.stderr).not.toMatch(/local store|data_dir/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('dataset export onto a folder: 73, and no temporary file left beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-out-'));
    const target = join(dir, 'a-folder');
    mkdirSync(target);
    const r = await runCli(['--config', account.configFile, 'dataset', 'export', target]);
    expect(r.code, r.stderr).toBe(73);
    expect(r.stderr).toMatch(/is a folder, not a file/);
    expect(readdirSync(dir)).toEqual(['a-folder']);
  });

  it('dataset export to a good path still writes the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-out-'));
    const r = await runCli(['--config', account.configFile, 'dataset', 'export', join(dir, 'pairs.jsonl')]);
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(dir)).toEqual(['pairs.jsonl']);
  });

  it('model promote of a version that does not exist: 64 like model export, with the fix', async () => {
    const promote = await runCli(['--config', account.configFile, 'model', 'promote', '99']);
    expect(promote.code, promote.stderr).toBe(64);
    expect(promote.stderr).toMatch(/no model version 99/);
    expect(promote.stderr).toMatch(/fix: understudy model list/);
    const exported = await runCli(['--config', account.configFile, 'model', 'export', '99', '--gguf', '/tmp/x.gguf']);
    expect(exported.code).toBe(promote.code);
  });
});
