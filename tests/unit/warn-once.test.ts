// Folder-selection warnings are logged at warn once per process and at debug after that (the daemon syncs every
// few minutes; the config did not change in between).
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../src/config/logger.js';
import { warnOncePerProcess } from '../../src/imap/sync-account.js';

function recorder() {
  const lines: { level: string; fields: unknown; message: string }[] = [];
  const at = (level: string) => (fields: unknown, message: string) => lines.push({ level, fields, message });
  return { lines, logger: { warn: at('warn'), debug: at('debug') } as unknown as Logger };
}

describe('warnOncePerProcess', () => {
  it('warns the first time, then logs the same warning at debug', () => {
    const { lines, logger } = recorder();
    const fields = { account: 'warn-once-a', mailbox: 'Sent', globs: ['Sent'] };
    warnOncePerProcess(logger, fields, 'folders.exclude removes your sent mail');
    warnOncePerProcess(logger, { ...fields }, 'folders.exclude removes your sent mail');
    expect(lines.map((l) => l.level)).toEqual(['warn', 'debug']);
  });

  it('a different account or message is a new warning', () => {
    const { lines, logger } = recorder();
    warnOncePerProcess(logger, { account: 'warn-once-b' }, 'x');
    warnOncePerProcess(logger, { account: 'warn-once-c' }, 'x');
    warnOncePerProcess(logger, { account: 'warn-once-b' }, 'y');
    expect(lines.map((l) => l.level)).toEqual(['warn', 'warn', 'warn']);
  });
});
