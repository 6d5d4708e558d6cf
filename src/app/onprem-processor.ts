import type { Config } from '../../schemas/config.schema.ts';
import { OnPremJobResultSchema, type OnPremJob, type OnPremJobResult } from '../../schemas/jobs.schema.ts';
import type { SyncError } from '../../schemas/report.schema.ts';
import type { OnPremSide } from '../../schemas/resolution.schema.ts';
import { TransientError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { OnPremDirectory } from '../resolve/onprem/onprem-directory.ts';
import { lookUpOnPrem, wantsOnPrem } from '../resolve/onprem/onprem-lookup.ts';
import { splitFailure } from './run-worker.ts';

/**
 * The `onprem` queue: a child of each resolve job when on-premises AD is configured, worked
 * by `syncdesk worker --queues onprem` on a host that reaches the DC. It returns the
 * on-premises side of each error; the resolve job reads it (or the child's failure) and
 * looks every value of the failing object up in the cloud.
 */

/** True where the `onprem` worker can run: ONPREM_URL and the account are set. */
export function onPremReadable(config: Config): boolean {
  const o = config.onprem;
  return Boolean(o.url && o.bindDn && o.bindPassword && o.baseDn);
}

/** The directory the `onprem` worker reads; throws when this host lacks the account. */
export function createOnPremDirectory(config: Config): OnPremDirectory {
  const { url, bindDn, bindPassword, baseDn, anchorAttribute, tlsCa, timeoutMs } = config.onprem;
  if (!url || !bindDn || !bindPassword || !baseDn) {
    throw new Error('the onprem worker needs ONPREM_URL, ONPREM_BIND_DN, ONPREM_BIND_PASSWORD (or ONPREM_BIND_PASSWORD_FILE) and ONPREM_BASE_DN');
  }
  return new OnPremDirectory({ url, bindDn, bindPassword, baseDn, anchorAttribute, tlsCa, timeoutMs });
}

/**
 * One bind for the whole chunk; a DC-level failure is thrown (TransientError retried,
 * PermanentError final). The last attempt's error says how many were made: the ticket shows it.
 */
export async function processOnPremJob(
  data: OnPremJob,
  directory: Pick<OnPremDirectory, 'session'>,
  log: Logger,
  attempt: { made: number; max: number } = { made: 0, max: 1 },
): Promise<OnPremJobResult> {
  const wanted = data.errors.filter(wantsOnPrem);
  if (!wanted.length) return [];
  const sides = await directory.session('lookup', (s) => lookUpOnPrem(wanted, s)).catch((err: unknown) => {
    if (err instanceof TransientError && attempt.made + 1 >= attempt.max) throw new TransientError(`${err.message}; gave up after ${attempt.max} attempts`, err.code, undefined, { cause: err });
    throw err;
  });
  const out = [...sides].map(([fingerprint, side]) => ({ fingerprint, side }));
  const found = out.filter((r) => r.side.status === 'found').length;
  const holders = out.reduce((n, r) => n + r.side.holders.length, 0);
  log.info({ action: 'onprem-read', reportId: data.report.reportId, errors: wanted.length, found, holders }, 'on-premises AD read');
  return out;
}

/** What a resolve job (a BullMQ Job) tells about its children. */
export interface ChildrenOf {
  getChildrenValues(): Promise<Record<string, unknown>>;
  getIgnoredChildrenFailures(): Promise<Record<string, string>>;
}

/**
 * The on-premises sides the resolve job's onprem child returned, by fingerprint; when the
 * child failed for good, an `unavailable` side with its reason for every error it was for.
 * Undefined when the job has no onprem child (AD not configured).
 */
export async function collectOnPremSides(job: ChildrenOf, errors: SyncError[]): Promise<Map<string, OnPremSide> | undefined> {
  const values = Object.values(await job.getChildrenValues());
  const failures = Object.values(await job.getIgnoredChildrenFailures()).filter(Boolean) as string[];
  if (!values.length && !failures.length) return undefined;
  const sides = new Map<string, OnPremSide>();
  for (const value of values) {
    const parsed = OnPremJobResultSchema.safeParse(value);
    if (parsed.success) for (const r of parsed.data) sides.set(r.fingerprint, r.side);
  }
  if (failures.length) {
    const reason = failures[0]!;
    const { code, message: note } = splitFailure(reason);
    for (const e of errors) {
      if (wantsOnPrem(e) && !sides.has(e.fingerprint)) sides.set(e.fingerprint, { status: 'unavailable', object: null, holders: [], candidates: [], searched: [], note, code });
    }
  }
  return sides;
}
