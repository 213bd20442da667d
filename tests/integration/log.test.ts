// `understudy log --file`: a file of the daemon's JSON lines (what launchd's StandardOutPath
// holds, or `understudy daemon > file`) as readable lines, filtered by --since, raw with --json,
// and followed with -f as lines are appended.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/account.js';

const record = (minutesAgo: number, msg: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ level: 30, time: Date.now() - minutesAgo * 60_000, pid: 1, app: 'understudy', msg, ...extra });

describe('understudy log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'understudy-log-'));
  const file = join(dir, 'understudy.log');
  writeFileSync(
    file,
    `${[record(120, 'old sync', { job: 'sync' }), 'a line that is not JSON', record(5, 'drafted', { job: 'draft', account: 'work', drafts: 2 })].join('\n')}\n`,
  );

  it('prints readable lines, filters by --since, passes JSON through', async () => {
    const all = await runCli(['log', '--file', file]);
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.trim().split('\n');
    console.log(all.stdout);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d info {2}sync {6}old sync$/);
    expect(lines[1]).toBe('a line that is not JSON');
    expect(lines[2]).toMatch(/ info {2}draft {5}drafted {2}account=work drafts=2$/);

    const recent = await runCli(['log', '--file', file, '--since', '1h']);
    expect(recent.stdout).not.toContain('old sync');
    expect(recent.stdout).toContain('drafted');
    const json = await runCli(['log', '--file', file, '--since', '30 min', '--json']);
    expect(
      json.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).msg),
    ).toEqual(['drafted']);

    const bad = await runCli(['log', '--file', file, '--since', 'whenever']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/--since whenever is not a time/);
    const missing = await runCli(['log', '--file', join(dir, 'nope.log')]);
    // A missing input file is sysexits' EX_NOINPUT, README's 66 (it was 1, "partly failed").
    expect(missing.code).toBe(66);
    expect(missing.stderr).toMatch(
      /cannot read the log file .*nope\.log: no such file\n\s+fix: check the path given to --file/,
    );
  });

  it('-f prints lines appended later, until Ctrl-C', async () => {
    const child = spawn(process.execPath, [CLI, 'log', '-f', '--file', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b) => {
      out += b;
    });
    const waitFor = async (pattern: RegExp) => {
      for (let i = 0; i < 100 && !pattern.test(out); i++) await new Promise((r) => setTimeout(r, 100));
      return pattern.test(out);
    };
    expect(await waitFor(/drafted/)).toBe(true);
    appendFileSync(file, `${record(0, 'new mail', { job: 'idle', mailbox: 'INBOX' })}\n`);
    expect(await waitFor(/new mail {2}mailbox=INBOX/)).toBe(true);
    const code = await new Promise<number | null>((done) => {
      child.on('close', (c) => done(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
  }, 30_000);
});
