// Progress for long commands: bars on a terminal (cli-progress), plain lines otherwise, on stderr
// so that stdout stays clean for results and --json.
import cliProgress from 'cli-progress';
import type { MailboxProgress } from '../imap/sync-mailbox.js';

export interface SyncProgress {
  update(p: MailboxProgress): void;
  notice(message: string): void;
  stop(): void;
}

export function syncProgress(account: string, options: { quiet?: boolean } = {}): SyncProgress {
  if (options.quiet) return { update() {}, notice() {}, stop() {} };
  if (!process.stderr.isTTY) return lineProgress(account);
  const bars = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: `${account} {mailbox} |{bar}| {value}/{total} {phase}`,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const byMailbox = new Map<string, cliProgress.SingleBar>();
  return {
    update(p) {
      let bar = byMailbox.get(p.mailbox);
      const payload = { mailbox: p.mailbox.padEnd(16).slice(0, 24), phase: phaseLabel(p) };
      if (!bar) {
        bar = bars.create(Math.max(p.total, 1), p.done, payload);
        byMailbox.set(p.mailbox, bar);
      }
      if (p.total > 0) bar.setTotal(p.total);
      bar.update(p.done, payload);
    },
    notice(message) {
      bars.log(`${message}\n`);
    },
    stop() {
      bars.stop();
    },
  };
}

function phaseLabel(p: MailboxProgress): string {
  switch (p.phase) {
    case 'select':
      return 'opening';
    case 'fetch':
      return 'fetching new mail';
    case 'flags':
      return 'checking flags and deletions';
    case 'done':
      return 'done';
  }
}

/** Without a terminal: one line when a mailbox starts fetching, every 10 s, and when it ends. */
function lineProgress(account: string): SyncProgress {
  const lastLine = new Map<string, number>();
  return {
    update(p) {
      const now = Date.now();
      const last = lastLine.get(p.mailbox);
      const due =
        p.phase === 'done' || (p.phase === 'fetch' && p.done === 0) || last === undefined || now - last > 10_000;
      if (!due || (p.phase === 'select' && last !== undefined)) return;
      lastLine.set(p.mailbox, now);
      const count = p.total ? ` ${p.done}/${p.total}` : '';
      process.stderr.write(`${account} ${p.mailbox}: ${phaseLabel(p)}${count}\n`);
    },
    notice(message) {
      process.stderr.write(`${message}\n`);
    },
    stop() {},
  };
}

export interface TaskProgress {
  update(done: number, total: number, phase: string): void;
  stop(): void;
}

/** One bar for a task with phases (dataset build, training): bar on a terminal, lines otherwise. */
export function taskProgress(label: string, options: { quiet?: boolean } = {}): TaskProgress {
  if (options.quiet) return { update() {}, stop() {} };
  if (!process.stderr.isTTY) {
    let lastPhase = '';
    let last = 0;
    return {
      update(done, total, phase) {
        const now = Date.now();
        if (phase === lastPhase && now - last < 10_000) return;
        lastPhase = phase;
        last = now;
        process.stderr.write(`${label}: ${phase}${total ? ` ${done}/${total}` : ''}\n`);
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} |{bar}| {value}/{total} {phase}`,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(done, total, phase) {
      if (!started) {
        bar.start(Math.max(total, 1), done, { phase });
        started = true;
      }
      if (total > 0) bar.setTotal(total);
      bar.update(done, { phase });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
