import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'chorus' },
    // Belt and braces: nothing that looks like a credential reaches a log line.
    redact: {
      paths: ['*.authorization', '*.cookie', '*.password', '*.databaseUrl', 'headers.authorization', 'headers.cookie'],
      censor: '[redacted]',
    },
  });
}
