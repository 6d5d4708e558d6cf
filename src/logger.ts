import { pino, type Logger, type LevelWithSilent } from 'pino';
import { SECRET_PATHS } from './config.ts';

export type { Logger };

/**
 * The one root logger. Redaction lives here, not on children, so no component can
 * forget it (the paths cover config objects and the usual header/credential fields).
 */
export function createLogger(
  options: { level?: LevelWithSilent; destination?: NodeJS.WritableStream } = {},
): Logger {
  const redact = [
    ...SECRET_PATHS.map((p) => `config.${p}`),
    ...SECRET_PATHS.map((p) => `*.${p.split('.').at(-1)}`),
    'password',
    'accessToken',
    'token',
    'clientSecret',
    '*.password',
    '*.accessToken',
    '*.token',
    '*.authorization',
    '*.Authorization',
    'headers.authorization',
    '*.headers.authorization',
  ];
  return pino(
    { level: options.level ?? 'info', redact: { paths: redact, censor: '[redacted]' }, base: { app: 'syncdesk' } },
    options.destination ?? pino.destination(2),
  );
}
