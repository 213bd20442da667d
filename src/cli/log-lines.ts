// The daemon's JSON log lines (pino, as journald and launchd capture them) as lines a person reads:
// "2026-11-29 19:58:01 info  sync      3 mailboxes synced  account=work new=4". Pure: used by
// `understudy log`.
import { printable } from './printable.js';

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** Fields every record has that the readable line shows in its own columns, or not at all. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'app', 'v']);
/** The field naming the part of the daemon a record comes from, first found wins. */
const COMPONENT_KEYS = ['component', 'job', 'module', 'worker'];

/** One parsed record: its time (ms since epoch, null when the line is not JSON) and its readable form. */
export interface LogLine {
  time: number | null;
  level: string | null;
  text: string;
  /** The JSON record, or null for a line that was not one (printed as it is). */
  record: Record<string, unknown> | null;
}

/**
 * Parses one captured line. A line that is not a JSON object (a crash's stack trace, a line from
 * before the daemon's logger started) is kept as it is, never dropped.
 */
export function parseLogLine(line: string): LogLine {
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(line);
  } catch {}
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    return { time: null, level: null, text: printable(line), record: null };
  const record = parsed as Record<string, unknown>;
  const time = typeof record.time === 'number' ? record.time : Date.parse(String(record.time ?? '')) || null;
  const level =
    typeof record.level === 'number' ? (LEVELS[record.level] ?? String(record.level)) : String(record.level ?? 'info');
  const componentKey = COMPONENT_KEYS.find((k) => typeof record[k] === 'string');
  const component = componentKey ? String(record[componentKey]) : 'daemon';
  const extra = Object.entries(record)
    .filter(([k]) => !HIDDEN.has(k) && k !== componentKey)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`)
    .join(' ');
  const when = time === null ? '-' : localTime(time);
  const text = `${when} ${level.padEnd(5)} ${component.padEnd(9)} ${String(record.msg ?? '')}${extra ? `  ${extra}` : ''}`;
  return { time, level, text: printable(text), record };
}

/** "2026-11-29 19:58:01" in the local time zone. */
function localTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * `--since`: "30s", "10m", "10 min", "2h", "3 days", "1w" (that long ago), or a date
 * ("2026-11-29", "2026-11-29 08:00", ISO 8601). Returns ms since epoch, or null when unreadable.
 */
export function parseSince(text: string, now = Date.now()): number | null {
  const t = text.trim().toLowerCase();
  const rel = /^(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)(\s+ago)?$/.exec(
    t,
  );
  if (rel) {
    const unit = (rel[2] as string)[0] as 's' | 'm' | 'h' | 'd' | 'w';
    const ms = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[unit];
    return now - Number(rel[1]) * ms;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return null;
  const parsed = Date.parse(t.includes(' ') && !t.includes('t') ? t.replace(' ', 'T') : t);
  return Number.isNaN(parsed) ? null : parsed;
}
