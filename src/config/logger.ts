// The structured logger (pino). It lives beside the config because every module may import
// config, and the level comes from it. Redaction is a second guard: secrets are never passed in.
import { type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level?: string;
  /** Where JSON lines go: stderr for the CLI (stdout carries results), stdout for the daemon. */
  destination?: 1 | 2;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { app: 'understudy' },
      redact: {
        paths: [
          'password',
          'pass',
          'accessToken',
          'secret',
          '*.password',
          '*.pass',
          '*.accessToken',
          '*.secret',
          'auth',
        ],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: options.destination ?? 2, sync: true }),
  );
}
