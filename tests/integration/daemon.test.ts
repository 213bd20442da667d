// The daemon end to end against Dovecot: started as a child process on a persona mailbox, it
// trains on a cron schedule that fires during the test, promotes the model, drafts replies to
// new mail within a bounded wait using that model, reports itself in the status file, and
// exits 0 promptly on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CLI, newAccount, runCli, type TestAccount } from '../helpers/account.js';
import { appendMessages } from '../helpers/mail.js';
import { personaThreads, seedPersonaMailbox } from '../helpers/persona.js';
import { TEST_PYTHON, tinyModel, tinyTrainSection } from '../helpers/tiny-model.js';

const server = inject('dovecot');
const DAY = 86_400_000;
// What the scheduled training needs to show here: a version that wins its evaluation (promoted)
// and writes a draft the output checks accept. With 150 steps a version was promoted, but in one of
// two full runs no draft appeared within the wait, so the scheduled training keeps the learning
// tests' 600 steps; UNDERSTUDY_TEST_DAEMON_STEPS overrides it for a quick local run.
const DAEMON_STEPS = Number(process.env.UNDERSTUDY_TEST_DAEMON_STEPS ?? 600);

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | null | undefined | false>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('understudy daemon', () => {
  let account: TestAccount;
  let daemon: ChildProcess;
  let log = '';
  const status = () => {
    try {
      return JSON.parse(readFileSync(join(account.config.dataDir, 'daemon-status.json'), 'utf8'));
    } catch {
      return null;
    }
  };

  beforeAll(async () => {
    account = newAccount(server, {
      top:
        tinyTrainSection(tinyModel(), { max_steps: DAEMON_STEPS }) +
        `[drafts]\ntemperature = 0\nmax_age_days = 10\nmax_new_tokens = 60\n` +
        `[daemon]\nsync_cron = "*/30 * * * * *"\ntrain_cron = "*/15 * * * * *"\nmin_new_examples = 20\n`,
    });
    const client = await account.client();
    await seedPersonaMailbox(client, `${account.user}@example.test`, 96);
    await client.logout();
    daemon = spawn(process.execPath, [CLI, '--config', account.configFile, '--log-level', 'info', 'daemon'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon.stdout?.on('data', (b: Buffer) => (log += b.toString()));
    daemon.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  }, 120_000);

  afterAll(() => {
    if (daemon.exitCode === null) daemon.kill('SIGKILL');
  });

  it('syncs, trains on schedule and promotes a model, then drafts new mail with it', async () => {
    const started = await waitFor('the status file', 60_000, async () => status()?.state === 'running' && status());
    expect(started.pid).toBe(daemon.pid);
    const promoted = await waitFor(
      'a promoted model',
      900_000,
      async () => /"outcome":"promoted version 1/.test(log) && true,
    );
    expect(promoted).toBe(true);
    const logLines = log
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(logLines.some((l) => l.msg === 'daemon started')).toBe(true);
    expect(logLines.some((l) => l.msg === 'watching INBOX (IDLE)')).toBe(true);

    // New mail: a draft written by the trained model appears within a bounded wait.
    const me = `Anna de Vries <${account.user}@example.test>`;
    const fresh = personaThreads(me, 104, Date.now() - 103 * DAY - 3_600_000)[102]!;
    const client = await account.client();
    const t0 = Date.now();
    await appendMessages(client, 'INBOX', [fresh.incomingRaw], []);
    const draft = await waitFor('a draft in Drafts', 60_000, async () => {
      const lock = await client.getMailboxLock('Drafts');
      try {
        const uids =
          (await client.search({ header: { 'in-reply-to': '<persona-102@en.example>' } }, { uid: true })) || [];
        if (!uids.length) return null;
        for await (const m of client.fetch(uids.join(','), { source: true }, { uid: true })) return m.source as Buffer;
        return null;
      } finally {
        lock.release();
      }
    }).catch((e: unknown) => {
      // Why no draft: the daemon's own account of the new message (triage, generation, output checks).
      console.log(`daemon log, last lines:\n${log.split('\n').slice(-25).join('\n')}`);
      throw e;
    });
    const latency = (Date.now() - t0) / 1000;
    await client.logout();
    const parsed = await simpleParser(draft);
    console.log(`new mail → draft in ${latency.toFixed(1)} s: ${JSON.stringify(parsed.text?.split('\n\nOn ')[0])}`);
    expect(parsed.inReplyTo).toBe('<persona-102@en.example>');
    const written = log
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .find((l) => l.msg === 'draft written' && l.mode === 'model');
    expect(written, 'the draft came from the trained model').toBeDefined();
    expect(status().model.version).toBe(1);
    const statusCli = await runCli(['--config', account.configFile, 'status']);
    expect(statusCli.stdout).toMatch(/daemon: running, pid \d+/);
  }, 1_000_000);

  it('exits 0 promptly on SIGTERM', async () => {
    const t0 = Date.now();
    daemon.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => daemon.once('exit', (c) => r(c)));
    const seconds = (Date.now() - t0) / 1000;
    console.log(`SIGTERM → exit ${code} in ${seconds.toFixed(1)} s`);
    expect(code).toBe(0);
    expect(seconds).toBeLessThan(15);
    expect(log).toMatch(/"msg":"stopped"/);
  });
});

describe('service files', () => {
  it('the systemd unit passes systemd-analyze (verify, security ≤ 2.0) and the plist parses', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { spawnSync } = await import('node:child_process');
    const { renderLaunchdPlist, renderSystemdUnit, servicePaths } = await import('../../src/cli/service-files.js');
    const dir = mkdtempSync(join(tmpdir(), 'understudy-service-'));
    const paths = servicePaths('/home/ann/.config/understudy/config.toml', '/home/ann/.local/share/understudy');
    const unit = join(dir, 'understudy.service');
    writeFileSync(unit, renderSystemdUnit(paths));
    const verify = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    const security = spawnSync('systemd-analyze', ['security', '--offline=yes', unit], { encoding: 'utf8' });
    const score = Number(security.stdout.match(/Overall exposure level for understudy\.service: ([\d.]+)/)?.[1]);
    console.log(`systemd-analyze security: ${score}`);
    expect(score).toBeLessThanOrEqual(2.0);
    expect(readFileSync(unit, 'utf8')).not.toMatch(/MemoryDenyWriteExecute=yes/);
    const plist = join(dir, 'com.understudy.daemon.plist');
    writeFileSync(plist, renderLaunchdPlist(paths));
    const parsed = spawnSync(
      TEST_PYTHON,
      ['-c', 'import plistlib,sys,json; d=plistlib.load(open(sys.argv[1],"rb")); print(json.dumps(d))', plist],
      { encoding: 'utf8' },
    );
    expect(parsed.status, parsed.stderr).toBe(0);
    const p = JSON.parse(parsed.stdout);
    expect(p).toMatchObject({
      Label: 'com.understudy.daemon',
      RunAtLoad: true,
      KeepAlive: { SuccessfulExit: false },
      ProcessType: 'Background',
    });
    expect(p.ProgramArguments).toEqual([process.execPath, expect.stringMatching(/bin\/understudy\.js$/), 'daemon']);
    // The unit does not restart on the codes that need the user, and they are the daemon's codes;
    // launchd cannot skip codes, so the plist tells the daemon to exit 0 for those instead.
    const { NO_RESTART_EXIT_CODES } = await import('../../daemon/exit.js');
    const prevent = /^RestartPreventExitStatus=(.*)$/m.exec(readFileSync(unit, 'utf8'))?.[1]?.split(/\s+/).map(Number);
    expect(prevent?.sort()).toEqual([...NO_RESTART_EXIT_CODES].sort());
    expect(NO_RESTART_EXIT_CODES).toEqual(expect.arrayContaining([77, 78]));
    expect(p.EnvironmentVariables.UNDERSTUDY_SUPERVISOR).toBe('launchd');
  });
});
