import { InvalidArgumentError, type Command } from 'commander';

/**
 * Usage errors: the command line itself is wrong (unknown command or option, a missing
 * argument, a value that is not a number or a date). They exit 2 with one line on stderr
 * that names the fix; a failure of the work itself exits 1.
 */

/** Thrown by a command's action when its options do not fit together (`failed retry` with neither id nor --all). */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A command that works on one item by id or on all of them (`failed retry`, `failed drop`, `quarantine release`): exactly one of the two. */
export function oneOrAll(id: string | undefined, all: boolean | undefined, what: string, listCommand: string): void {
  if (!id && !all) throw new UsageError(`give ${what} (from \`${listCommand}\`) or --all`);
  if (id && all) throw new UsageError(`give ${what} or --all, not both`);
}

/** `syncdesk failed retry` for the command `retry` under `failed`. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** One line: `syncdesk failed retry: <what is wrong>; see `syncdesk failed retry --help``. */
export function usageLine(message: string, path: string): string {
  const text = message
    .replace(/^error: /, '')
    .trim()
    .replace(/\s*\n\s*/g, ' ');
  return `${path}: ${text}; see \`${path} --help\`\n`;
}

/**
 * Every command of the tree reports commander's own errors (unknown option, missing
 * argument, invalid value) as one usage line naming itself, instead of a message and the
 * whole help text.
 */
export function oneLineUsageErrors(command: Command): void {
  const path = commandPath(command);
  command.configureOutput({ outputError: (str, write) => write(usageLine(str, path)) });
  for (const sub of command.commands) oneLineUsageErrors(sub);
}

/** Option parser: a whole number in [min, max]. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\s*\d+\s*$/.test(value) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `expected a whole number, at least ${min}` : `expected a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

/** Option parser: a number (fractions allowed) of at least `min`. */
export function numberAtLeast(min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!value.trim() || !Number.isFinite(n) || n < min) throw new InvalidArgumentError(`expected a number, at least ${min}`);
    return n;
  };
}

/**
 * Option parser: an ISO 8601 date or date and time (`2026-03-01`, `2026-03-01T08:00:00Z`).
 * Only that form: `new Date()` also reads "01/02/2026" (January or February?) and rolls
 * "2026-02-30" over into March: either would replay another range than the admin meant.
 */
export function dateValue(value: string): Date {
  const m = ISO_DATE_RE.exec(value.trim());
  const d = new Date(value.trim());
  if (!m || Number.isNaN(d.getTime())) throw new InvalidArgumentError('expected a date such as 2026-03-01 or 2026-03-01T08:00:00Z');
  if (new Date(`${m[1]}T00:00:00Z`).toISOString().slice(0, 10) !== m[1]) throw new InvalidArgumentError(`${m[1]} is not a day of the calendar`);
  return d;
}
// a time needs its zone: without one JavaScript reads it as this machine's local time, a date alone as UTC
const ISO_DATE_RE = /^(\d{4}-\d{2}-\d{2})(T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** Option parser: a TCP port, 0 meaning off. */
export const portNumber = wholeNumber(0, 65535);
