// The daemon's JSON log lines as readable lines (understudy log): columns, fields, non-JSON lines
// kept, and --since parsing.
import { describe, expect, it } from 'vitest';
import { parseLogLine, parseSince } from '../../src/cli/log-lines.js';

describe('log lines', () => {
  it('renders time, level, component, message and the other fields as key=value', () => {
    const time = new Date(2026, 10, 29, 19, 58, 1).getTime();
    const line = JSON.stringify({
      level: 40,
      time,
      pid: 7,
      hostname: 'h',
      app: 'understudy',
      job: 'sync',
      msg: 'reconnecting',
      account: 'work',
      attempt: 2,
      error: 'connection reset by peer',
    });
    const p = parseLogLine(line);
    expect(p.text).toBe(
      '2026-11-29 19:58:01 warn  sync      reconnecting  account=work attempt=2 error="connection reset by peer"',
    );
    expect(p.time).toBe(time);
    expect(p.level).toBe('warn');
    expect(parseLogLine(JSON.stringify({ level: 30, time, msg: 'started' })).text).toBe(
      '2026-11-29 19:58:01 info  daemon    started',
    );
  });

  it('keeps lines that are not JSON records as they are', () => {
    for (const raw of ['    at main (file.js:1:2)', '[1,2]', 'null', '{broken']) {
      const p = parseLogLine(raw);
      expect(p.text).toBe(raw);
      expect(p.time).toBeNull();
    }
  });

  it('reads --since as a span ago or as a date, and refuses anything else', () => {
    const now = Date.UTC(2026, 10, 29, 12);
    expect(parseSince('10m', now)).toBe(now - 600_000);
    expect(parseSince('10 min', now)).toBe(now - 600_000);
    expect(parseSince('2h', now)).toBe(now - 7_200_000);
    expect(parseSince('3 days ago', now)).toBe(now - 3 * 86_400_000);
    expect(parseSince('1w', now)).toBe(now - 604_800_000);
    expect(parseSince('2026-11-29T08:00:00Z', now)).toBe(Date.UTC(2026, 10, 29, 8));
    expect(parseSince('2026-11-29 08:00', now)).toBe(new Date(2026, 10, 29, 8).getTime());
    for (const bad of ['yesterday-ish', '10 parsecs', '', '2026-13-45']) expect(parseSince(bad, now)).toBeNull();
  });
});
