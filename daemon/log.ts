// The daemon's log: pino JSON lines on stdout (journald and launchd capture them); on a
// terminal, the same records as short readable lines instead.
import { Writable } from 'node:stream';
import { type Logger, pino } from 'pino';

const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

/** Renders pino's JSON records as "12:03:04 info  message key=value" for a person at a terminal. */
function humanStream(): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const {
            level,
            time,
            msg,
            pid: _pid,
            hostname: _h,
            app: _app,
            ...rest
          } = JSON.parse(line) as Record<string, unknown>;
          const when = new Date(Number(time)).toTimeString().slice(0, 8);
          const extra = Object.entries(rest)
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ');
          process.stdout.write(
            `${when} ${(LEVELS[Number(level)] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${extra ? `  ${extra}` : ''}\n`,
          );
        } catch {
          process.stdout.write(`${line}\n`);
        }
      }
      done();
    },
  });
}

export function daemonLogger(level: string): Logger {
  const options = {
    level,
    base: { app: 'understudy' },
    redact: {
      paths: ['password', 'pass', 'accessToken', 'secret', '*.password', '*.pass', '*.accessToken', '*.secret', 'auth'],
      censor: '[redacted]',
    },
  };
  return process.stdout.isTTY ? pino(options, humanStream()) : pino(options, pino.destination({ fd: 1, sync: true }));
}
