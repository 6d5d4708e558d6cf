/**
 * What one doctor check reports. `ok` is false only for `fail`: a warning (works, but
 * risky) and a skip (not configured, so not needed) do not fail the run.
 */

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  /** Short name of what was checked (`redis`, `imap login`, `graph contoso.com`). */
  check: string;
  ok: boolean;
  status: CheckStatus;
  /** What was found; never a secret. */
  detail: string;
  /** How to fix it (fail and warn only). */
  fix?: string;
}

export const pass = (check: string, detail: string): CheckResult => ({ check, ok: true, status: 'pass', detail });
export const skip = (check: string, detail: string): CheckResult => ({ check, ok: true, status: 'skip', detail });
export const warn = (check: string, detail: string, fix: string): CheckResult => ({ check, ok: true, status: 'warn', detail, fix });
export const fail = (check: string, detail: string, fix: string): CheckResult => ({ check, ok: false, status: 'fail', detail, fix });

/** Rejects with a timeout error when `work` takes longer than `ms` (a check must never hang the run). */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${Math.round(ms / 1000)} s`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first line of an error's message, shortened (library errors can be pages long). */
export function errorText(err: unknown, max = 240): string {
  const e = err as { message?: string; code?: string };
  const line = String(e?.message ?? err).split('\n').find((l) => l.trim()) ?? String(err);
  const text = line.trim();
  const withCode = e?.code && !text.includes(e.code) ? `${text} (${e.code})` : text;
  // cut at a word: "the app lacks Ma…" reads as a different word
  return withCode.length > max ? `${withCode.slice(0, max).replace(/\s+\S*$/, '')}…` : withCode;
}

/** Network error codes that mean "nothing answers there". */
export function isUnreachable(err: unknown): boolean {
  const code = (err as { code?: string })?.code ?? '';
  const text = String((err as Error)?.message ?? '');
  return /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EAI_AGAIN|ECONNRESET/.test(code + ' ' + text);
}

/** A sign-in's deadline inside a check of `checkMs`: it gives up a little before the check does, so that a silent host is named as one, with its fix. */
export function signInDeadline(checkMs: number): number {
  return Math.max(1_000, checkMs - 2_000);
}
