import { userInfo } from 'node:os';
import { loadConfig, misspeltEnv } from '../config.ts';
import { configFilePath } from '../config-file.ts';
import { createLogger, routeConsoleWarnings, terminalLines, type Logger } from '../logger.ts';
import type { Config } from '../../schemas/config.schema.ts';

/** Helpers shared by the pipeline's CLI commands (no side effects until called). */

export interface CliConfigOptions {
  /** Config paths → values that win over everything (a command's own flags). */
  overrides?: Record<string, unknown>;
  /** Config paths → values for this command that the file and the environment still override. */
  defaults?: Record<string, unknown>;
  /**
   * Interactive commands print their own summary on stdout; their log (stderr) says only
   * warnings unless a level is set (LOG_LEVEL or `logLevel:` in the file). @defaultValue true
   */
  interactive?: boolean;
}

/**
 * Config for a command: the config file (`--config FILE`, which the CLI passes on as
 * SYNCDESK_CONFIG, else `./syncdesk.yaml` if present), under the environment, under
 * command-specific overrides.
 */
export function cliConfig(options: CliConfigOptions = {}): Config {
  const defaults = { ...((options.interactive ?? true) ? { logLevel: 'warn' } : {}), ...options.defaults };
  const config = loadConfig(process.env, options.overrides ?? {}, { file: configFilePath(process.env)?.path, defaults });
  warnMisspeltEnv(config, options.interactive);
  return config;
}

let envWarned = false;

/** A misspelt variable leaves its setting at the default: said once by every command that reads the configuration, as doctor says it. */
function warnMisspeltEnv(config: Config, interactive?: boolean): void {
  if (envWarned) return;
  envWarned = true;
  const misspelt = misspeltEnv(process.env);
  if (!misspelt.length) return;
  const logger = loggerFor(config, interactive);
  for (const { name, near } of misspelt) logger.warn({ action: 'config-env', name, near }, `${name} is no setting of syncdesk's and is ignored: did you mean ${near}?`);
}

function loggerFor(config: Config, interactive = true): Logger {
  const person = interactive && process.stderr.isTTY === true;
  return createLogger({ level: config.logLevel, ...(person && { destination: terminalLines(process.stderr) }) });
}

/** `interactive`: a command a person runs and reads (not start, worker, listen): at a terminal its log is plain lines. */
export function cliLogger(config: Config, options: { interactive?: boolean } = {}): Logger {
  const logger = loggerFor(config, options.interactive);
  routeConsoleWarnings(logger);
  return logger;
}

/** `{ a: 2, b: 1 }` → `a 2, b 1` (sorted by count, then name). */
export function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  if (!entries.length) return 'none';
  return entries
    .sort((x, y) => y[1] - x[1] || x[0].localeCompare(y[0]))
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
}

/** Files of a replayed or parsed folder that are no mail, named (the first three) so a report saved as .htm is not lost in silence; null when none. */
export function passedOverLine(paths: readonly string[]): string | null {
  if (!paths.length) return null;
  const named = paths.slice(0, 3).join(', ');
  // a mail export is often downloaded packed (Google Takeout: .zip, .tgz): syncdesk does not unpack it
  const packed = paths.filter((p) => ARCHIVE_NAME.test(p));
  const some = (list: string[]) => `${list.slice(0, 3).join(', ')}${list.length > 3 ? ', …' : ''}`;
  const unpack = packed.length ? `; ${packed.length} of them compressed archive(s) (${some(packed)}): unpack them first, syncdesk reads the mails, not archives` : '';
  // a report saved from a browser or mail client as a page is named whatever else lies beside it
  const pages = paths.filter((p) => PAGE_NAME.test(p));
  const save = pages.length ? `; ${pages.length} of them saved page(s) (${some(pages)}): syncdesk reads mails, not pages: save or forward the report as a mail (.eml)` : '';
  return `passed over ${paths.length} file(s) that are no mail: ${named}${paths.length > 3 ? ', …' : ''}${unpack}${save}`;
}
const ARCHIVE_NAME = /\.(?:zip|tgz|tar|gz|bz2|xz|7z|rar)$/i;
const PAGE_NAME = /\.(?:html?|mht(?:ml)?|pdf)$/i;

/**
 * How the `list` commands print: one JSON object per line with `--json`; else `empty` when
 * there is nothing, or one line per row and the `footer`.
 */
export function writeRows<T>(rows: T[], options: { json?: boolean; empty: string; line: (row: T) => string; footer: (count: number) => string }): void {
  const out = process.stdout;
  if (options.json) {
    for (const r of rows) out.write(`${JSON.stringify(r)}\n`);
    return;
  }
  if (!rows.length) {
    out.write(`${options.empty}\n`);
    return;
  }
  for (const r of rows) out.write(`${options.line(r)}\n`);
  out.write(`${options.footer(rows.length)}\n`);
}

/** Who acts (a quarantine release, a failed mail dropped): `--by`, else the login behind sudo, else the user running the command. */
export function adminName(by: string | undefined): string {
  if (by) return by;
  try {
    return process.env.SUDO_USER || userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
