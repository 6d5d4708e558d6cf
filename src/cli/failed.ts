import type { Job, Worker } from 'bullmq';
import { adminName, cliConfig, cliLogger, formatCounts, writeRows } from '../app/cli-support.ts';
import type { Redis } from 'ioredis';
import { openRuntime, type Runtime } from '../app/runtime.ts';
import { queueCounts, unworkedLine, unworkedQueues, waitForDrain } from '../app/queue-drain.ts';
import { watchWorkers } from '../app/worker-tally.ts';
import { DRAINED_CLOSE_GRACE_MS, startWorkers, stopWorkers } from '../app/workers.ts';
import type { Ingestor } from '../ingest/ingest-mail.ts';
import { oneReportAtATime } from './replay-flow.ts';
import { MESSAGE_REFUSED } from '../ingest/graph-mailbox.ts';
import { createLedger, RECENT_KEPT, type Ledger, type LedgerEntry } from '../ingest/ledger.ts';
import { dropSetAside, releaseSetAside, setAsideMessages } from '../ingest/set-aside.ts';
import { terminalText } from '../terminal-text.ts';
import { UsageError } from './usage.ts';
import { earliestRun } from './replay-order.ts';
import { arrivalOf } from '../parse/report-ref.ts';
import { isOnPremQueue, QUEUE_NAMES, type Queues } from '../queues.ts';
import type { ResolveJob } from '../../schemas/jobs.schema.ts';
import { failureCode } from '../app/run-worker.ts';
import { aboutOf } from '../app/job-about.ts';

/** What `syncdesk failed list|retry` does (loaded when it runs; see failed-command.ts). */

export interface FailedJobInfo {
  /** The queue of a failed job, `mail` for a mail kept but not readable, `mailbox` for a Graph message whose content was refused. */
  queue: string;
  id: string;
  name: string;
  attempts: number;
  code: string | null;
  reason: string;
  failedAt: string | null;
  /** What became of the work that waited for this job, when it went on without it. */
  effect: string | null;
  /** The tenant and report the job worked on (jobAbout), when it worked on one. */
  about?: string;
}

/**
 * A lookup (resolve, onprem) that failed for good does not hold its report back: the chunk
 * above it is ticketed without it. Such a job is "gone past" once that parent is no longer
 * waiting for its children; retrying the job alone would then change no ticket.
 */
async function gonePast(queues: Queues, job: Job): Promise<boolean> {
  if (!job.parent?.id) return false;
  const name = job.parent.queueKey.slice(job.parent.queueKey.lastIndexOf(':') + 1);
  const parentQueue = queues.names.includes(name) ? queues.byName(name) : null;
  const state = parentQueue ? await parentQueue.getJobState(job.parent.id) : 'unknown';
  return state !== 'waiting-children' && state !== 'unknown';
}

/** What went out without a lookup that failed for good, and what looking again means. */
const WENT_ON = {
  resolve: { missing: 'its tickets went out with these errors not looked up', again: 'looks them up again' },
  onprem: { missing: 'its tickets went out without the on-premises side', again: 'reads AD again' },
} as const;
/** The lookup a queue's jobs are: a forest's queue (`onprem-<forest>`) reads AD as `onprem` does. */
function lookupKind(queue: string): keyof typeof WENT_ON | null {
  if (queue === QUEUE_NAMES.resolve) return 'resolve';
  return isOnPremQueue(queue) ? 'onprem' : null;
}

/** The line `failed list` shows for such a job: per-problem tickets are brought up to date by a retry, a report's digest ticket is not. */
function wentOn(queue: keyof typeof WENT_ON, digest: boolean): string {
  const { missing, again } = WENT_ON[queue];
  return digest ? `${missing}; \`failed retry\` ${again}, and the report's ticket changes with its next report` : `${missing}; \`failed retry\` ${again} and updates the tickets`;
}

/** `digest`: the desk gets one ticket per report (TICKET_DIGEST), which says what a retry can do. */
export async function listFailed(queues: Queues, limit = 1000, digest = false): Promise<FailedJobInfo[]> {
  const out: FailedJobInfo[] = [];
  for (const queue of queues.names) {
    const jobs = (await queues.byName(queue).getFailed(0, limit - 1)) as Job[];
    const kind = lookupKind(queue);
    for (const job of jobs) {
      if (!job) continue;
      out.push({
        queue,
        id: String(job.id),
        name: job.name,
        attempts: job.attemptsMade,
        code: failureCode(job.failedReason),
        reason: job.failedReason ?? '',
        failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
        effect: kind && (await gonePast(queues, job)) ? wentOn(kind, digest) : null,
        ...aboutOf(job),
      });
    }
  }
  return out.sort((a, b) => (b.failedAt ?? '').localeCompare(a.failedAt ?? ''));
}

/** Mails kept but not read (unreadable, timeout, too large): the ledger's recent `rejected` entries. */
export async function listRejectedMails(ledger: Ledger, limit = RECENT_KEPT): Promise<FailedJobInfo[]> {
  const entries = await ledger.recent(limit);
  return entries
    // one the admin dropped is dealt with (its entry stays `rejected`: the same bytes again are still handled)
    .filter((e) => e.status === 'rejected' && !e.dropped)
    .map((e) => ({ queue: 'mail' as const, id: e.mailId, name: 'mail', attempts: 1, code: e.reason?.split(':')[0] ?? null, reason: e.reason ?? '', failedAt: e.updatedAt, effect: null }));
}

/** Messages of a Graph mailbox whose content Exchange would not give (set-aside.ts), left in their folder. */
export async function listSetAside(redis: Redis, prefix: string): Promise<FailedJobInfo[]> {
  return (await setAsideMessages(redis, prefix)).filter((m) => !m.dropped).map((m) => ({
    queue: 'mailbox' as const,
    id: m.id,
    name: 'mail',
    attempts: m.attempts ?? 1,
    code: MESSAGE_REFUSED,
    reason: `${m.internetMessageId ?? 'a mail without Message-ID'} received ${m.receivedAt} in ${m.mailbox}: ${m.reason}`,
    failedAt: m.at,
    effect: 'left in its folder and passed over; `failed retry` tries it again at the next poll',
  }));
}

/** Failed jobs of every queue, then the mails kept but not readable, then the mailbox's messages set aside. */
async function listAllFailed(runtime: Runtime, jobLimit?: number): Promise<FailedJobInfo[]> {
  const redis = runtime.redis.client as Redis;
  const ledger = createLedger(redis, runtime.config.redis.prefix);
  return [...(await listFailed(runtime.queues, jobLimit, runtime.config.ticket.digest)), ...(await listRejectedMails(ledger)), ...(await listSetAside(redis, runtime.config.redis.prefix))];
}

/** What became of one failed job or mail put back (`done`: queued again) or dropped (`done`: off the list). */
export interface Outcome {
  queue: string;
  id: string;
  done: boolean;
  /** For one not done: why. */
  reason: string | null;
}

/** The failed jobs and mails an id names: the one it is, else the one it starts (lists show mail ids shortened). */
function named(failed: FailedJobInfo[], id: string): FailedJobInfo[] {
  const exact = failed.filter((f) => f.id === id);
  if (exact.length) return exact;
  const started = failed.filter((f) => f.id.toLowerCase().startsWith(id.toLowerCase()));
  const ids = new Set(started.map((f) => f.id));
  if (ids.size > 1) throw new UsageError(`${id} starts ${ids.size} failed job or mail ids: give more of it`);
  return started;
}

/**
 * The admin's word a mail was taken on, kept by the ledger. A mail replayed from a file
 * before the ledger kept it was vouched for by the admin who replayed it too (README:
 * a file replay skips sender trust), and had passed sender trust otherwise.
 */
function vouchOf(entry: LedgerEntry | null): string | undefined {
  if (entry?.vouched) return entry.vouched;
  const fileReplay = entry?.vouched === undefined && (entry?.origin === 'replay-file' || entry?.origin === 'replay-mbox');
  return fileReplay ? `replayed by an admin (${entry.origin})` : undefined;
}

/** Parses a kept mail again, on the word it was first taken on: a replayed mail is not put to sender trust now. */
async function retryMail(runtime: Runtime, ingestor: Ingestor, ledger: Ledger, mailId: string): Promise<Outcome> {
  const mail = await runtime.store.get(mailId);
  if (!mail) return { queue: 'mail', id: mailId, done: false, reason: `no longer in the mail store (${runtime.config.ingest.storeDir}, kept ${runtime.config.ingest.retentionDays} days)` };
  // only its first MAX_MAIL_BYTES were kept: reading them again reads a cut-off mail
  if (mail.truncated) {
    // the original of a Graph mail is the message in the mailbox (moved to the processed folder), not a file
    const again = mail.origin === 'graph' ? '`syncdesk replay --graph --folder <its folder> --since <its day> --force`' : '`syncdesk replay --force`';
    return { queue: 'mail', id: mailId, done: false, reason: `too large (${mail.size} bytes) and kept cut at ${mail.raw.length}: raise MAX_MAIL_BYTES and replay the original with ${again}` };
  }
  // forced: the ledger already holds this mail; its reports get flows of their own
  const meta = { origin: mail.origin, receivedAt: new Date(mail.receivedAt), envelopeFrom: mail.envelopeFrom ?? undefined, force: true, vouched: vouchOf(await ledger.get(mailId)) };
  const r = await ingestor.ingest(mail.raw, meta);
  return { queue: 'mail', id: mailId, done: r.status === 'queued', reason: r.status === 'queued' ? null : `read again: ${r.status} (${r.reason ?? ''})` };
}

/**
 * Failed jobs as listed, then the mails in the order of the runs they cover: mails of one
 * tenant read again after a parser fix apply as they happened (newest first, the older report
 * would count as old and leave its problems open). A mail gone from the store goes last.
 */
async function mailsInRunOrder(runtime: Runtime, chosen: FailedJobInfo[]): Promise<FailedJobInfo[]> {
  const mails: Array<{ f: FailedJobInfo; run: number }> = [];
  for (const f of chosen.filter((c) => c.queue === 'mail')) {
    const mail = await runtime.store.get(f.id);
    mails.push({ f, run: mail ? await earliestRun(mail.raw, arrivalOf(mail.origin, new Date(mail.receivedAt)), runtime.config.ingest.maxMailBytes) : Infinity });
  }
  return [...chosen.filter((c) => c.queue !== 'mail'), ...mails.sort((a, b) => a.run - b.run).map((m) => m.f)];
}

/** Re-queues failed jobs (one by id or the start of it, or all) and parses rejected mails again. */
async function retryFailed(runtime: Runtime, target: { id?: string; all?: boolean }, ingestor: Ingestor): Promise<Outcome[]> {
  const failed = await listAllFailed(runtime, 100_000);
  const chosen = await mailsInRunOrder(runtime, target.all ? failed : named(failed, target.id ?? ''));
  const ledger = createLedger(runtime.redis.client as Redis, runtime.config.redis.prefix);
  const retried: Outcome[] = [];
  for (const f of chosen) {
    if (f.queue === 'mail') {
      retried.push(await retryMail(runtime, ingestor, ledger, f.id));
      continue;
    }
    if (f.queue === 'mailbox') {
      await releaseSetAside(runtime.redis.client as Redis, runtime.config.redis.prefix, [f.id]);
      retried.push({ queue: f.queue, id: f.id, done: true, reason: null });
      continue;
    }
    const job = await runtime.queues.byName(f.queue).getJob(f.id);
    if (!job) {
      retried.push({ queue: f.queue, id: f.id, done: false, reason: 'no longer in its queue' });
      continue;
    }
    if (f.effect && !runtime.config.ticket.digest) {
      // its tickets went out without it: the chunk's lookup and tickets again, in place of the failed job
      await runtime.queues.addChunkRerun(job.data as ResolveJob, Date.now().toString(36));
      await job.remove();
    } else {
      // a fresh set of attempts: the cause was fixed (or is worth another full try)
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    }
    retried.push({ queue: f.queue, id: f.id, done: true, reason: null });
  }
  return retried;
}

/**
 * Takes failed work off `failed list` for good, the admin having dealt with it another way: a
 * mail (its stored copy may be gone) stays `rejected` in the ledger, so the same bytes are not
 * read again; a mailbox message stays passed over; a lookup job whose report went on without it
 * is removed. A ticket job is not dropped: its report's close and the tenant's later reports
 * wait for it (README, "Reports apply in order"), so only `failed retry` settles it.
 */
async function dropFailed(runtime: Runtime, target: { id?: string; all?: boolean }, by: string): Promise<Outcome[]> {
  const failed = await listAllFailed(runtime, 100_000);
  const chosen = target.all ? failed : named(failed, target.id ?? '');
  const redis = runtime.redis.client as Redis;
  const ledger = createLedger(redis, runtime.config.redis.prefix);
  const dropped = { by, at: new Date().toISOString() };
  const out: Outcome[] = [];
  for (const f of chosen) {
    if (f.queue === 'mail') await ledger.update(f.id, { dropped });
    else if (f.queue === 'mailbox') await dropSetAside(redis, runtime.config.redis.prefix, f.id, dropped);
    else if (f.effect) await (await runtime.queues.byName(f.queue).getJob(f.id))?.remove();
    else {
      out.push({ queue: f.queue, id: f.id, done: false, reason: 'not dropped: its report waits for this job; fix the cause and `syncdesk failed retry` it' });
      continue;
    }
    out.push({ queue: f.queue, id: f.id, done: true, reason: null });
  }
  return out;
}

const print = (line: string): void => void process.stdout.write(`${terminalText(line)}\n`);

/** `failed retry|drop` found nothing to work on: fine with --all (exit 0), an error for an id (1). */
function nothingNamed(verb: 'retry' | 'drop', id: string | undefined): number {
  if (!id) {
    print('no failed jobs');
    return 0;
  }
  process.stderr.write(`syncdesk failed ${verb}: no failed job or mail with id ${id}; see \`syncdesk failed list\`\n`);
  return 1;
}

/** Exit code: 1 when the id names nothing failed or one of them was not dropped. */
export async function dropFailedCommand(id: string | undefined, opts: { all?: boolean; by?: string }): Promise<number> {
  const outcomes = await withRuntime((r) => dropFailed(r, { id, all: opts.all }, adminName(opts.by)));
  if (!outcomes.length) return nothingNamed('drop', id);
  for (const o of outcomes) print(`${o.queue}\t${o.id}: ${o.done ? 'dropped' : o.reason}`);
  return outcomes.every((o) => o.done) ? 0 : 1;
}

async function withRuntime<T>(fn: (runtime: Runtime) => Promise<T>): Promise<T> {
  const config = cliConfig();
  const runtime = await openRuntime(config, cliLogger(config));
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

export async function printFailed(opts: { json?: boolean }): Promise<void> {
  const rows = await withRuntime((r) => listAllFailed(r));
  writeRows(rows, {
    json: opts.json,
    empty: 'no failed jobs',
    // a reason can quote a mail: its control characters are shown, not obeyed
    line: (r) => terminalText(`${r.queue}\t${r.id}\t${r.failedAt ?? '-'}\tattempts ${r.attempts}\t${r.about ? `${r.about}: ` : ''}${r.reason}${r.effect ? `\n\t(${r.effect})` : ''}`),
    footer: (n) => `${n} failed job${n === 1 ? '' : 's'} or mail${n === 1 ? '' : 's'}; retry with \`syncdesk failed retry <id>\` or \`--all\`; one dealt with otherwise: \`syncdesk failed drop <id>\``,
  });
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * Exit code: 1 when the id names no failed job or mail, or one of them is not queued again (a
 * mail still unreadable, say), or what was worked here did not finish. With no worker running
 * elsewhere (the embedded default), what was put back is worked here until the queues are
 * empty, as a replay and a quarantine release are: the tickets change before it returns.
 */
export async function retryFailedCommand(id: string | undefined, opts: { all?: boolean }): Promise<number> {
  const config = cliConfig();
  const runtime = await openRuntime(config, cliLogger(config));
  let workers: Worker[] = [];
  try {
    const here = (await runtime.queues.ticket.getWorkersCount()) === 0;
    if (here) workers = startWorkers(runtime, ['resolve', 'ticket'], { concurrency: 4 });
    const tally = watchWorkers(workers);
    // mails of one tenant read again here apply one report at a time, in the order of their runs (as a replay)
    const retried = await retryFailed(runtime, { id, all: opts.all }, runtime.ingestor(here ? oneReportAtATime(runtime) : undefined));
    if (!retried.length) return nothingNamed('retry', id);
    for (const r of retried) if (!r.done) print(`${r.queue}\t${r.id}: ${r.reason}`);
    const done = retried.filter((r) => r.done);
    const mails = done.filter((r) => r.queue === 'mail').length;
    const what = [done.length - mails && count(done.length - mails, 'job'), mails && count(mails, 'mail')].filter(Boolean).join(' and ');
    if (done.length) print(`re-queued ${what}: ${done.map((r) => r.id).join(', ')}`);
    const allDone = done.length === retried.length;
    // a queue no worker serves runs nothing it was given back (a replay-only setup): said with the command that runs it
    const onUnworked = (names: string[]) => names.forEach((n) => print(unworkedLine(n)));
    if (!here || !done.length) {
      if (done.length) onUnworked(await unworkedQueues(runtime.queues, await queueCounts(runtime.queues)));
      return allDone ? 0 : 1;
    }
    const drained = await waitForDrain(runtime.queues, { onUnworked });
    print(`worked here (no worker running): reports: ${tally.reports}; tickets: ${formatCounts(tally.ticketActions)}`);
    if (tally.failed.length) print(`failed jobs: ${tally.failed.length}; see \`syncdesk failed list\``);
    return allDone && drained && !tally.failed.length ? 0 : 1;
  } finally {
    if (workers.length) await stopWorkers(workers, runtime, { graceMs: DRAINED_CLOSE_GRACE_MS });
    else await runtime.close();
  }
}
