// Test harness: the throwaway Dovecot of src/demo/dovecot.ts with one password for every test
// user, plus helpers to add users, kill their IMAP processes and run doveadm.
import { execFileSync } from 'node:child_process';
import { type DovecotInfo, type StartOptions, startDovecot as start } from '../../src/demo/dovecot.js';

export { type DovecotInfo, dovecotAvailable, freePort } from '../../src/demo/dovecot.js';

/** The password of every test user. */
export const TEST_PASSWORD = 'secret-password';

export function startDovecot(options: Omit<StartOptions, 'password'> = {}): ReturnType<typeof start> {
  return start({ ...options, password: TEST_PASSWORD });
}

let userCounter = 0;

/** A fresh mail user (its mailbox is created on first login). */
export function addUser(_info: DovecotInfo, prefix = 'user'): { user: string; password: string } {
  const user = `${prefix}${process.pid}x${++userCounter}x${Math.random().toString(36).slice(2, 7)}`;
  return { user, password: TEST_PASSWORD };
}

/** Kills the IMAP processes serving `user` (proctitles carry the user name). */
export function killImapProcesses(user: string): number {
  try {
    const out = execFileSync('pgrep', ['-f', `/imap \\[${user} `], { encoding: 'utf8' });
    const pids = out.split('\n').filter(Boolean);
    for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
    return pids.length;
  } catch {
    return 0;
  }
}

/** Runs doveadm against this instance's config. */
export function doveadm(info: DovecotInfo, args: string[]): string {
  return execFileSync('doveadm', ['-c', info.configFile, ...args], { encoding: 'utf8' });
}
