// The lock message says since when another Understudy holds the data folder in ISO 8601 (UTC), as the rest of
// the human output does, whatever the machine's locale and time zone: toLocaleString() printed
// "11/30/2026, 2:30:16 AM" (en-US) or "30.11.2026, 02:30:16" (de-DE). Against the built CLI: a lock file held by
// a live process (this test's), then `sync` and `draft`, which must exit 75 naming it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { describeHolder } from '../../src/store/lock.js';
import { newAccount, runCli } from '../helpers/account.js';

const server = inject('dovecot');
const SINCE = Date.UTC(2026, 10, 30, 2, 30, 16);

describe('the lock holder’s time', () => {
  it.each([
    ['en_US.UTF-8', 'America/New_York'],
    ['de_DE.UTF-8', 'Europe/Berlin'],
  ])('in ISO 8601 UTC under LANG=%s TZ=%s', async (lang, tz) => {
    const account = newAccount(server);
    mkdirSync(account.config.dataDir, { recursive: true });
    writeFileSync(
      join(account.config.dataDir, 'understudy.lock'),
      JSON.stringify({ pid: process.pid, command: 'understudy daemon', since: SINCE }),
    );
    for (const command of ['sync', 'draft']) {
      const r = await runCli(['--config', account.configFile, command], { LANG: lang, LC_ALL: lang, TZ: tz });
      expect(r.code, r.stderr).toBe(75);
      expect(r.stderr).toContain(`pid ${process.pid}, \`understudy daemon\`, since 2026-11-30 02:30:16 UTC (`);
      expect(r.stderr).not.toMatch(/\d{1,2}\/\d{1,2}\/\d{4}|\d{1,2}\.\d{1,2}\.\d{4}|[AP]M\b/);
    }
  });

  it('describeHolder: ISO 8601 UTC and minutes ago', () => {
    expect(describeHolder({ pid: 7, command: 'understudy sync', since: SINCE }, SINCE + 5 * 60_000)).toBe(
      'pid 7, `understudy sync`, since 2026-11-30 02:30:16 UTC (5 min ago)',
    );
    expect(describeHolder({ pid: 7, command: '?', since: 0 })).toBe('pid 7');
  });
});
