import { Writable } from 'node:stream';
import { format } from 'node:util';
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
    // a tenants file's entry: not in the config schema, so not in SECRET_PATHS
    '*.certificatePassword',
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

let consoleTarget: Logger | null = null;

/**
 * Libraries that warn with console.warn (ioredis, once per connection: "[WARN] … does not
 * require a password, but a password was supplied") would print raw lines between the JSON
 * logs: their warnings go through the latest root logger instead.
 */
export function routeConsoleWarnings(logger: Logger): void {
  if (!consoleTarget) console.warn = (...args: unknown[]) => consoleTarget!.warn({ from: 'library' }, format(...args).replace(/^\[WARN\] /, ''));
  consoleTarget = logger;
}

const LEVEL_WORDS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warning', 50: 'error', 60: 'fatal' };

/**
 * The log as lines for a person at a terminal (an interactive command's stderr): `syncdesk:
 * warning: mail kept but not readable …`, not JSON between the command's own lines.
 * Anything else (a pipe, a file, systemd's journal) keeps the JSON.
 */
export function terminalLines(out: NodeJS.WritableStream): NodeJS.WritableStream {
  let rest = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) out.write(humanLine(line));
      done();
    },
  });
}

function humanLine(json: string): string {
  try {
    const entry = JSON.parse(json) as { level?: number; msg?: string; err?: { message?: string } };
    const detail = entry.err?.message && !entry.msg?.includes(entry.err.message) ? `: ${entry.err.message}` : '';
    return `syncdesk: ${LEVEL_WORDS[entry.level ?? 30] ?? 'log'}: ${entry.msg ?? ''}${detail}\n`;
  } catch {
    return `${json}\n`;
  }
}
