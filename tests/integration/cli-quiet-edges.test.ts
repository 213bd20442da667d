// What a new user hit after issues 11/15/16, against the real CLI and Dovecot: a reader that
// closes the pipe early ends a command quietly (exit 0); idempotent commands (resume, privacy
// exclude/include) and dataset commands before the first sync exit as the README says; draft
// --limit is checked and the dry run's summary matches its rows and counts the old mail it
// did not consider; counted nouns agree with their number and empty sections are left out.
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CLI, newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { appendMessages, buildMessage } from '../helpers/mail.js';

const server = inject('dovecot');
const DAY = 86_400_000;
const WORDS =
  'apple river stone cloud pepper lantern garden window silver orange harbor meadow candle winter pencil bridge falcon marble violet thunder copper basket saddle forest ribbon anchor pillow rocket tunnel velvet'.split(
    ' ',
  );

/** Runs the CLI with its stdout on a pipe whose reader is gone before anything is written. */
function intoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('close', (code) => resolvePromise({ code, stderr }));
  });
}

/** `understudy ARGS | head -1` in bash with pipefail: the CLI's own exit code, and head's line. */
function pipedToHead(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const child = spawn('bash', ['-c', `set -o pipefail; ${quoted} | head -1`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

describe('understudy CLI: quiet edges', () => {
  let fresh: TestAccount;
  let busy: TestAccount;
  const freshCli = (...args: string[]) => runCli(['--config', fresh.configFile, ...args]);
  const busyCli = (...args: string[]) => runCli(['--config', busy.configFile, ...args]);

  beforeAll(async () => {
    fresh = newAccount(server);
    const me = `${fresh.user}@example.test`;
    const now = Date.now();
    const inbox = [
      ...[1, 2, 3].map((n) =>
        buildMessage({
          from: `Person ${n} <p${n}@partner.example>`,
          to: me,
          subject: `New question ${n}`,
          date: new Date(now - n * 3_600_000),
          body: `Hi,\r\n\r\nCould you look at question ${n} for me?\r\n\r\nThanks\r\n`,
        }),
      ),
      ...[1, 2].map((n) =>
        buildMessage({
          from: `Old ${n} <old${n}@partner.example>`,
          to: me,
          subject: `Old question ${n}`,
          date: new Date(now - (30 + n) * DAY),
          body: `Hi,\r\n\r\nAn old question ${n}.\r\n\r\nThanks\r\n`,
        }),
      ),
    ];
    const client = await fresh.client();
    await appendMessages(client, 'INBOX', inbox);
    await client.logout();

    // Many long pairs: `dataset show --sample 0` prints far more than a pipe holds.
    busy = newAccount(server, { top: '[dataset]\neval_fraction = 0' });
    const bme = `Anna <${busy.user}@example.test>`;
    const bin: string[] = [];
    const bsent: string[] = [];
    for (let n = 0; n < 30; n++) {
      const id = `<busy-${n}@partner.example>`;
      const date = Date.UTC(2024, 2, 1 + n, 9);
      // Each reply its own words (copies of one text would be dropped as a template).
      const para = Array.from({ length: 60 }, (_, i) => WORDS[(n * 7 + i * (n + 3)) % WORDS.length] ?? '').join(' ');
      bin.push(
        buildMessage({
          from: 'Tom <tom@partner.example>',
          to: bme,
          subject: `Shipment ${n}`,
          messageId: id,
          date: new Date(date),
          body: `Hi Anna,\r\n\r\n${para}\r\n\r\nCan you confirm?\r\n\r\nTom\r\n`,
        }),
      );
      bsent.push(
        buildMessage({
          from: bme,
          to: 'Tom <tom@partner.example>',
          subject: `Re: Shipment ${n}`,
          inReplyTo: id,
          references: id,
          date: new Date(date + 3_600_000),
          body: `Hi Tom,\r\n\r\nConfirmed, shipment ${n} is fine. ${para}\r\n\r\nAnna\r\n`,
        }),
      );
    }
    const bclient = await busy.client();
    await appendMessages(bclient, 'INBOX', bin);
    await appendMessages(bclient, 'Sent', bsent);
    await bclient.logout();
    const sync = await busyCli('sync', '-q');
    expect(sync.code, sync.stderr).toBe(0);
    const build = await busyCli('dataset', 'build');
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toMatch(/30 examples from 30 sent messages/);
  }, 180_000);

  it('before the first sync: dataset stats/show exit 0 with an empty result, build exits 66; both say to sync', async () => {
    const stats = await freshCli('dataset', 'stats');
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).toMatch(/nothing synced yet.*run `understudy sync` first/);
    const statsJson = await freshCli('dataset', 'stats', '--json');
    expect(statsJson.code, statsJson.stderr).toBe(0);
    expect(JSON.parse(statsJson.stdout)).toMatchObject({ accounts: [], notSynced: ['test'] });
    const show = await freshCli('dataset', 'show');
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/nothing synced yet.*run `understudy sync` first/);
    const build = await freshCli('dataset', 'build');
    expect(build.code).toBe(66);
    expect(build.stderr).toMatch(/nothing synced yet.*run `understudy sync` first/);
    expect(build.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('resume when not paused, exclude twice, include what is not excluded: exit 0 with a note', async () => {
    const resume = await freshCli('resume');
    expect(resume.code, resume.stderr).toBe(0);
    expect(resume.stdout).toMatch(/drafting was not paused/);
    expect((await freshCli('privacy', 'exclude', 'x@y.example')).code).toBe(0);
    const again = await freshCli('privacy', 'exclude', 'x@y.example');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/already excluded/);
    const include = await freshCli('privacy', 'include', 'nobody@y.example');
    expect(include.code, include.stderr).toBe(0);
    expect(include.stdout).toMatch(/was not excluded/);
    expect((await freshCli('privacy', 'include', 'x@y.example')).code).toBe(0);
  });

  it('draft --limit must be a positive integer; the dry run summary matches its rows and counts old mail', async () => {
    for (const bad of ['abc', '0', '-5', '1.5']) {
      const r = await freshCli('draft', '--dry-run', '--no-sync', '--limit', bad);
      expect(r.code, `--limit ${bad}`).toBe(64);
      expect(r.stderr).toMatch(/--limit must be a positive integer/);
    }
    expect((await freshCli('sync', '-q')).code).toBe(0);
    const r = await freshCli('draft', '--dry-run', '--no-sync', '--limit', '2');
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.split('\n').filter((l) => /^\s+\d+\s{2}/.test(l));
    const draftRows = rows.filter((l) => /\sDRAFT$/.test(l)).length;
    const summary = r.stdout.split('\n')[0] ?? '';
    expect(summary).toMatch(new RegExp(`^test: ${draftRows} drafts? would be written`));
    expect(draftRows).toBe(2);
    expect(rows.filter((l) => /over this run's limit/.test(l))).toHaveLength(1);
    expect(summary).toMatch(/2 messages older than max_age_days \(3 days\) not considered/);
    const json = JSON.parse((await freshCli('draft', '--dry-run', '--no-sync', '--json')).stdout);
    expect(json.accounts[0].notConsidered).toEqual({ olderThanMaxAge: 2, maxAgeDays: 3 });
  });

  it('counted nouns agree; dataset stats leaves out empty sections', async () => {
    const build = await freshCli('dataset', 'build');
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toMatch(/0 examples from 0 sent messages/);
    const stats = await freshCli('dataset', 'stats');
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stdout).not.toMatch(/paired by\s*$/m);
    expect(stats.stdout).not.toMatch(/sent messages left out:\s*$/);
    const r = await freshCli('draft', '--dry-run', '--no-sync', '--limit', '2');
    expect(r.stdout.split('\n')[0]).toMatch(/^test: 2 drafts would be written, 1 message skipped, 2 messages older/);
    const single = await freshCli('draft', '--dry-run', '--no-sync', '--limit', '1');
    expect(single.stdout.split('\n')[0]).toMatch(/^test: 1 draft would be written, 2 messages skipped/);
    expect(r.stdout).not.toMatch(/\b1 (messages|drafts|examples|pairs)\b/);
    const one = await busyCli('dataset', 'show', '--sample', '1');
    expect(one.stdout).toMatch(/: 1 of 30 pairs \(sample/);
  });

  it('a reader that closes the pipe early ends the command quietly with exit 0', async () => {
    for (const args of [
      ['dataset', 'show', '--sample', '0'],
      ['draft', '--dry-run', '--no-sync'],
      ['dataset', 'stats'],
      // The daemon's help is printed by the CLI, which ends quietly on a closed pipe there too.
      ['daemon', '--help'],
    ]) {
      const r = await intoClosedPipe(['--config', busy.configFile, ...args]);
      expect(r.stderr, args.join(' ')).not.toMatch(/EPIPE|Unhandled|at .*\.js:\d+/);
      expect(r.code, args.join(' ')).toBe(0);
    }
    const head = await pipedToHead(['--config', busy.configFile, 'dataset', 'show', '--sample', '0']);
    expect(head.stdout.split('\n')).toHaveLength(2);
    expect(head.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(head.code).toBe(0);
  });
});
