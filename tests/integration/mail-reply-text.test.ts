// `understudy mail reply-text` as a user runs it (the built CLI): the sync decoding and the dataset's cleaning, --json
// with the parts it found, several files at once, and a per-message reason with exit 65 for what cannot be read.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/account.js';

const FIELD = resolve(import.meta.dirname, '../../../shared/corpora/field/reply-text');
const STACK = /\n\s+at .+:\d+:\d+/;
const field = (name: string) => join(FIELD, `${name}.eml`);
const expected = (name: string) => readFileSync(join(FIELD, `${name}.expected.txt`), 'utf8').trim();

describe('understudy mail reply-text', () => {
  it('prints what the dataset learns, decoded as sync decodes (flowed ISO-2022-JP, a lying Big5 label)', async () => {
    for (const name of [
      'roundcube-5702-iso2022jp-flowed-delsp',
      'discourse-fixture-chinese-reply-big5-label-utf8-body',
    ]) {
      const run = await runCli(['mail', 'reply-text', field(name)]);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout.trim()).toBe(expected(name));
    }
  });

  it('--json gives reply, sign-off, signature, attribution and quote', async () => {
    const run = await runCli(['mail', 'reply-text', '--json', field('enron-signature-block-enron-a-08')]);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    console.log(`--json keys: ${Object.keys(out).join(', ')}`);
    expect(out.reply).toBe(expected('enron-signature-block-enron-a-08'));
    expect(out.signOff).toBe('Vince');
    expect(out.signature).toMatch(/^Vincent Kaminski\nManaging Director - Research\nEnron Corp\./);
    expect(out.attributionFields).toMatchObject({ name: 'Valery Kholodnyi', address: 'vkholod1@txu.com' });
    expect(out.quote).toMatch(/^Dear Dr\. Kaminski,/);
    expect(out).toMatchObject({ quoted: true, forwarded: false, language: 'en', skipReasons: [] });
  });

  it('reads several files; a bad one gets its own reason on stderr, the rest is printed, exit 65, no stack', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-reply-text-'));
    const notMail = join(dir, 'notes.txt');
    writeFileSync(notMail, 'just a note\nwithout any header\n');
    const good = field('quotequail-88-dutch-heeft-geschreven');
    const run = await runCli(['mail', 'reply-text', good, notMail, join(dir, 'missing.eml')]);
    console.log(`three files, two bad: exit ${run.code}\n${run.stderr}`);
    expect(run.code).toBe(65);
    expect(run.stdout).toContain(expected('quotequail-88-dutch-heeft-geschreven'));
    expect(run.stderr).toMatch(/cannot parse .*notes\.txt as an RFC 5322 message: .*no header fields/);
    expect(run.stderr).toMatch(/fix: give a whole message \(\.eml\); for a bare body use --text or --html/);
    expect(run.stderr).toMatch(/cannot read .*missing\.eml: no such file/);
    expect(run.stderr).toMatch(/2 of 3 messages could not be read/);
    expect(run.stderr).not.toMatch(STACK);

    const json = await runCli(['mail', 'reply-text', '--json', good, notMail]);
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { error?: { code: string } });
    expect(lines.map((l) => l.error?.code ?? 'ok')).toEqual(['ok', 'MESSAGE_NOT_A_MESSAGE']);
  });

  it('a message with no text of its own says so on stderr instead of printing nothing, exit 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-reply-text-'));
    const quoteOnly = join(dir, 'quote-only.eml');
    writeFileSync(quoteOnly, 'From: a@example.com\nSubject: Re: x\n\n> only the quote\n');
    const run = await runCli(['mail', 'reply-text', quoteOnly]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/quote-only\.eml has no text of its own \(only quoted text: .*quote_only\)/);
  });

  it('a bare body with --text', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'understudy-reply-text-'));
    const file = join(dir, 'body.txt');
    writeFileSync(
      file,
      'Klinkt goed.\n\n//Jef\n\nOp 3 jan. 2024 om 10:12 heeft Piet <piet@example.nl> geschreven:\n\n> Morgen?\n',
    );
    const run = await runCli(['mail', 'reply-text', '--text', file]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe('Klinkt goed.\n\n//Jef');
  });
});
