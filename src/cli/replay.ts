import { Job, type Worker } from 'bullmq';
import { SingleBar } from 'cli-progress';
import { ReportErrorsSchema, type MailOrigin, type ReportErrors, type ResolveResult, type TicketJob } from '../../schemas/jobs.schema.ts';
import { objectLabel } from '../../schemas/report.schema.ts';
import type { MailOutcome, MailStatus } from '../ingest/ingest-decision.ts';
import type { TicketAction, TicketActionKind } from '../ticket/apply-report.ts';
import type { MailInputError } from '../ingest/mail-files.ts';
import type { ApplyReport } from '../ticket/apply-report.ts';
import { routeText } from '../ticket/sinks/index.ts';
import { deskRouteOf } from '../resolve/tenants.ts';
import { cliConfig, cliLogger, formatCounts, passedOverLine } from '../app/cli-support.ts';
import { unworkedLine, waitForDrain } from '../app/queue-drain.ts';
import { isOnPremQueue } from '../queues.ts';
import { actionsOfEarlierAttempts, countActions, processResolveJob, type TicketJobResult } from '../app/processors.ts';
import { TransientError } from '../errors.ts';
import { unresolved } from '../resolve/verdict.ts';
import { openRuntime, type Ingestor, type Runtime } from '../app/runtime.ts';
import { warnIfEvicting } from '../redis/eviction.ts';
import { watchWorkers, type SessionTally } from '../app/worker-tally.ts';
import { DRAINED_CLOSE_GRACE_MS, startWorkers, stopWorkers } from '../app/workers.ts';
import { terminalText } from '../terminal-text.ts';
import { failedCounts, failedSince, haltOnDiskTrouble, oneReportAtATime } from './replay-flow.ts';
import { fileInputs, inRunOrder, ORDER_BUDGET_BYTES, type ReplayInput } from './replay-order.ts';
import { arrivalOf, runText } from '../parse/report-ref.ts';

/** What `syncdesk replay` does (loaded when it runs; see replay-command.ts, which checks the options). */

export interface ReplayOptions {
  imap?: boolean;
  graph?: boolean;
  folder?: string;
  mailbox?: string;
  since?: Date;
  until?: Date;
  dryRun?: boolean;
  force?: boolean;
  wait?: boolean;
  /** Files and mbox too go through sender trust (else the admin handing them in vouches for them). */
  verifySenders?: boolean;
  /** One JSON document on stdout (`ReplayReport`) instead of the text. */
  json?: boolean;
}

async function* inputsFrom(paths: string[], opts: ReplayOptions, runtime: Pick<Runtime, 'config' | 'logger'>, unreadable: UnreadableInput[], passedOver: string[]): AsyncGenerator<ReplayInput> {
  const runtimeConfig = runtime.config;
  if (opts.graph) {
    const { readGraphFolder } = await import('../ingest/graph-replay-reader.ts');
    const onRefused = (source: string, reason: string): void => void unreadable.push({ source, reason });
    for await (const m of readGraphFolder(runtimeConfig, { mailbox: opts.mailbox, folder: opts.folder, since: opts.since!, until: opts.until, onRefused })) {
      yield { raw: m.raw, label: m.label, origin: 'replay-graph', receivedAt: m.receivedAt };
    }
    return;
  }
  if (opts.imap) {
    const { readImapFolder } = await import('../ingest/imap-replay-reader.ts');
    const mails = readImapFolder(runtimeConfig, {
      mailbox: opts.mailbox ?? runtimeConfig.imap.mailbox,
      since: opts.since!,
      until: opts.until,
      logger: runtime.logger,
    });
    for await (const m of mails) {
      yield { raw: m.raw, label: m.label, origin: 'replay-imap', receivedAt: m.internalDate };
    }
    return;
  }
  const onUnreadable = (err: MailInputError): void => void unreadable.push({ source: err.path, reason: err.reason });
  yield* fileInputs(paths, { onUnreadable, onPassedOver: (path) => passedOver.push(path) });
}

/** A path that could not be read: passed over, the rest replayed. */
export interface UnreadableInput {
  source: string;
  reason: string;
}

/**
 * Mails an admin replays from disk were mostly saved from a mailbox (often their own) and
 * their DKIM signatures rarely survive saving or forwarding: the admin vouches for them, so
 * sender trust would only quarantine genuine reports. A mailbox read (IMAP, Graph) is
 * judged as the listener judges it; `--verify-senders` judges files the same way.
 */
function vouchedFor(input: ReplayInput, opts: ReplayOptions): string | undefined {
  if (opts.verifySenders) return undefined;
  // a mail of the mail store is taken on the word it was first taken on, or judged again
  if (input.vouched !== undefined) return input.vouched ?? undefined;
  if (input.origin !== 'replay-file' && input.origin !== 'replay-mbox') return undefined;
  return `replayed by an admin from ${input.label}`;
}

function progressBar(): { tick(status: string): void; stop(): void } {
  if (!process.stderr.isTTY) return { tick() {}, stop() {} };
  const bar = new SingleBar(
    { stream: process.stderr, format: 'replay {value} mails | {status}', hideCursor: true, clearOnComplete: true, fps: 5 },
  );
  let n = 0;
  let started = false;
  return {
    tick(status) {
      n++;
      // only long runs get a bar: a handful of mails is over before it would draw
      if (!started && n >= 20) {
        bar.start(0, n, { status });
        started = true;
      }
      if (started) {
        bar.setTotal(n);
        bar.update(n, { status });
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

type TicketCounts = Partial<Record<TicketActionKind, number>>;

/** One report of a replayed mail. */
export interface ReplayedReport {
  reportId: string;
  tenant: string;
  coversAt: string;
  errors: number;
  /** Its errors by category, as read from the mail. */
  categories: Record<string, number>;
  /** Ticket actions by kind: done (real run), or planned (dry run); null when the running workers do them and they were not waited for. */
  tickets: TicketCounts | null;
  /** Its ticket jobs that failed for good in this run (a desk refused a customer's group, say): what they did is in `tickets`, the rest was not done. */
  failedJobs?: number;
}

/** One mail of a replay, as `replay --json` prints it. */
export interface ReplayedMail {
  source: string;
  origin: MailOrigin;
  mailId: string;
  /** What became of it (in a dry run: what would, as a real run would say). */
  outcome: MailOutcome;
  /** The ledger's word for it: queued, duplicate, quarantined, rejected, not-a-report. */
  status: MailStatus;
  reason: string | null;
  /** A duplicate of a mail kept unread before: still unread (`failed list`). */
  keptUnread?: true;
  reports: ReplayedReport[];
}

/** What `replay --json` prints: the text form renders the same. */
export interface ReplayReport {
  dryRun: boolean;
  /** Who worked the reports: this process, the running workers (not waited for), or nobody (dry run). */
  worked: 'here' | 'workers' | 'nobody';
  mails: ReplayedMail[];
  totals: { mails: number; outcomes: Record<string, number>; reports: number; tickets: Record<string, number> | null };
  /** Jobs that failed for good during the run, in any queue (one no worker of this process ran too). */
  failed: Array<{ queue: string; jobId: string; reason: string }>;
  /** Paths that could not be read (missing, permission denied): passed over, the rest replayed. */
  unreadable: UnreadableInput[];
  /** Files of a folder that are no mail (indexes, a report saved as .htm): not read, and no error. */
  passedOver: string[];
  /** Why the replay stopped before its last mail (a full disk): run it again once that is fixed. */
  stopped?: string;
}

const reportKey = (mailId: string | null, reportId: string): string => `${mailId ?? ''} ${reportId}`;

/** Ticket actions of the reports the in-process ticket workers apply, and their jobs that failed for good, by mail and report. */
function ticketsByReport(workers: Worker[]): { actions: Map<string, TicketCounts>; failed: Map<string, number> } {
  const byReport = new Map<string, TicketCounts>();
  const failed = new Map<string, number>();
  for (const worker of workers.filter((w) => w.name === 'ticket')) {
    worker.on('completed', (job: Job, result: unknown) => {
      const { report } = job.data as TicketJob;
      const key = reportKey(report.mailId, report.reportId);
      byReport.set(key, countActions((result as TicketJobResult | undefined)?.actions ?? [], byReport.get(key)));
    });
    // a chunk that failed for good did what its attempts did: counted too
    worker.on('failed', (job: Job | undefined) => {
      if (!job?.finishedOn) return; // set when it failed for good, not when it is to be tried again
      const { report } = job.data as TicketJob;
      const key = reportKey(report.mailId, report.reportId);
      byReport.set(key, countActions(actionsOfEarlierAttempts(job), byReport.get(key)));
      // said beside the report's line, not only in the totals ("unchanged 4" read as nothing to do)
      failed.set(key, (failed.get(key) ?? 0) + 1);
    });
  }
  return { actions: byReport, failed };
}

/** What the job that finished a report (close, or the digest's whole job) counted of the whole report; null before it ran. */
async function appliedTotals(runtime: Runtime, closeJobId: string | undefined): Promise<TicketCounts | null> {
  if (!closeJobId) return null;
  const job = await Job.fromId(runtime.queues.ticket, closeJobId);
  return (job?.returnvalue as TicketJobResult | undefined)?.totals ?? null;
}

type Print = (line?: string) => void;

/**
 * A dry run's plan of one report: its records and what the ticket stage would do, as
 * the stage's plan says. It weighs the facts a real run's jobs would: the report as a job
 * payload (the workers parse theirs: the same fields, in the same order, hash the same),
 * looked up as the resolve stage does (`processResolveJob`: an error the resolver says
 * nothing of is "unresolved" there too).
 */
async function planTickets(runtime: Runtime, plan: ApplyReport, report: ReportErrors, print: Print | undefined): Promise<TicketCounts> {
  const job = ReportErrorsSchema.parse(report);
  const resolved = await lookedUpForPlan(job, runtime, print);
  const actions = await plan(job, new Map(resolved.map((r) => [r.fingerprint, r.resolution])));
  if (print) {
    for (const e of job.errors) {
      const attrs = e.attributes.map((a) => `${a.name}${a.value ? `=${a.value}` : ''}`).join(' ');
      print(`    - ${e.category}${e.errorCode ? ` (${e.errorCode})` : ''} ${objectLabel(e)} ${attrs}`.trimEnd());
    }
    // where a new ticket goes when the tenants file routes the report's tenant: what an MSP checks before going live
    const place = routeText(deskRouteOf(runtime.tenants)?.(job.report), runtime.config.ticket.sink);
    const made = new Set<string>(['create', 'followup']);
    for (const a of actions) print(`    => ${a.action}${ticketShown(a)}${place && made.has(a.action) ? ` in ${place}` : ''}: ${a.summary}`);
  }
  return countActions(actions);
}

/** The ticket a planned action names: its id, or its URL where it is at another desk (an id there would read as this desk's). */
function ticketShown(a: TicketAction): string {
  if (a.elsewhere) return ` (its ticket is at another desk: ${a.elsewhere})`;
  return a.ticketId ? ` #${a.ticketId}` : '';
}

/**
 * The lookups of a report for the plan. A directory that does not answer now (Graph's sign-in
 * host unreachable, a timeout) leaves this report's values not looked up, said, and the plan
 * goes on to the next mails (the first such report ended the whole dry run); a
 * real run retries the lookup instead.
 */
async function lookedUpForPlan(job: ReportErrors, runtime: Runtime, print: Print | undefined): Promise<ResolveResult[]> {
  try {
    return await processResolveJob(job, runtime.resolver());
  } catch (err) {
    if (!(err instanceof TransientError)) throw err;
    const note = `the directory did not answer (${err.message}): not looked up for this plan; a real run tries again`;
    print?.(`    (${note})`);
    return job.errors.map((e) => ({ fingerprint: e.fingerprint, resolution: unresolved(e.fingerprint, note) }));
  }
}

/**
 * Feeds each mail to the ingestor (in a dry run: its same decision, answered only) and
 * records what became of it; a dry run also plans the ticket actions of each report a real
 * run would queue. Text mode prints each mail as it goes.
 */
async function replayMails(inputs: AsyncGenerator<ReplayInput>, runtime: Runtime, ingest: Ingestor, opts: ReplayOptions, print: Print | undefined, closeJobs = new Map<string, string>(), halted: () => string | null = () => null): Promise<ReplayedMail[]> {
  // one plan for the whole replay: each report planned after the ones before it
  const plan = opts.dryRun ? runtime.ticketStage().plan() : null;
  const mails: ReplayedMail[] = [];
  const outcomes: Record<string, number> = {};
  const bar = progressBar();
  try {
    for await (const input of inputs) {
      if (halted()) break;
      const r = await ingest.ingest(input.raw, { origin: input.origin, receivedAt: input.receivedAt, force: opts.force, vouched: vouchedFor(input, opts), dryRun: opts.dryRun });
      const status = r.wouldBe ?? (r.status as MailStatus);
      const mail: ReplayedMail = { source: input.label, origin: input.origin, mailId: r.mailId, outcome: r.decision, status, reason: r.reason ?? null, ...(r.keptUnread && { keptUnread: r.keptUnread }), reports: [] };
      mails.push(mail);
      outcomes[r.decision] = (outcomes[r.decision] ?? 0) + 1;
      bar.tick(formatCounts(outcomes));
      print?.(`${input.label}: ${r.decision}${r.reason ? ` (${r.reason})` : ''}`);
      if (r.decision !== 'new' && r.decision !== 'forced') {
        if (!opts.dryRun) runtime.logger.info({ action: 'replay', label: input.label, status: r.status, reason: r.reason }, 'mail not queued');
        continue;
      }
      for (const report of r.outcome?.ok ? r.outcome.reports : []) {
        // the reference the ingestor queues the report with (the same context: the same ids)
        const ref = runtime.reportRef(report, { mailId: r.mailId, receivedAt: arrivalOf(input.origin, input.receivedAt), envelopeFrom: null });
        print?.(`  report ${ref.reportId} (tenant ${ref.tenantKey}, covers ${runText(ref.coversAt)}), ${report.errors.length} error(s)`);
        const tickets = plan ? await planTickets(runtime, plan, { report: ref, errors: report.errors }, print) : null;
        const categories: Record<string, number> = {};
        for (const e of report.errors) categories[e.category] = (categories[e.category] ?? 0) + 1;
        mail.reports.push({ reportId: ref.reportId, tenant: ref.tenantKey, coversAt: ref.coversAt, errors: report.errors.length, categories, tickets });
        const queued = r.reports?.find((q) => q.reportId === ref.reportId);
        if (queued) closeJobs.set(reportKey(r.mailId, ref.reportId), queued.ticketJobId);
      }
    }
  } finally {
    bar.stop();
  }
  return mails;
}

function totalsOf(mails: ReplayedMail[], worked: ReplayReport['worked']): ReplayReport['totals'] {
  const outcomes: Record<string, number> = {};
  const tickets: Record<string, number> = {};
  let reports = 0;
  for (const m of mails) {
    outcomes[m.outcome] = (outcomes[m.outcome] ?? 0) + 1;
    for (const r of m.reports) {
      reports++;
      for (const [action, n] of Object.entries(r.tickets ?? {})) tickets[action] = (tickets[action] ?? 0) + n;
    }
  }
  return { mails: mails.length, outcomes, reports, tickets: worked === 'workers' ? null : tickets };
}

/** The text form's closing lines (the mails were printed as they went). */
function renderSummary(report: ReplayReport, tally: SessionTally, others: number): string[] {
  const { totals, mails } = report;
  const before = mails.filter((m) => m.keptUnread).length;
  const stillUnread = before ? [`still unreadable: ${before} duplicate(s) of mails kept unread before; see \`syncdesk failed list\``] : [];
  if (report.dryRun) {
    return [`dry run: ${totals.mails} mail(s): ${formatCounts(totals.outcomes)}; ${totals.reports} report(s); planned: ${formatCounts(totals.tickets ?? {})}; nothing was changed`, ...stillUnread];
  }
  const statuses: Record<string, number> = {};
  for (const m of mails) statuses[m.status] = (statuses[m.status] ?? 0) + 1;
  const lines = [`replay: ${totals.mails} mail(s): ${formatCounts(statuses)}`];
  if (statuses.quarantined) lines.push('quarantined mails are kept: `syncdesk quarantine list`');
  // too large: said apart, with what to do (the copy kept is cut: reading it again cannot help)
  const unread = mails.filter((m) => m.status === 'rejected' && m.outcome !== 'too-large');
  if (unread.length) {
    const why: Record<string, number> = {};
    for (const m of unread) {
      const code = (m.reason ?? m.outcome).split(':')[0]!;
      why[code] = (why[code] ?? 0) + 1;
    }
    lines.push(`rejected: ${unread.length} (${formatCounts(why)}); kept, see \`syncdesk failed list\``);
  }
  lines.push(...stillUnread);
  const large = mails.filter((m) => m.outcome === 'too-large').length;
  if (large) lines.push(`too large: ${large}, kept truncated and not read; raise MAX_MAIL_BYTES and replay with --force`);
  if (report.worked === 'workers') {
    lines.push(`queued for the running workers (${others}); follow with \`syncdesk status\``);
    return lines;
  }
  for (const m of mails) {
    for (const r of m.reports) {
      const failed = r.failedJobs ? `; ${r.failedJobs} of its ticket jobs failed for good, the rest of it not done: see \`syncdesk failed list\`` : '';
      lines.push(`${m.source}: report ${r.reportId}: tickets ${formatCounts(r.tickets ?? {})}${failed}`);
    }
  }
  // what the mails listed, not what the workers finished: a report one of whose jobs failed listed its errors all the same
  const read: Record<string, number> = {};
  for (const r of mails.flatMap((m) => m.reports)) for (const [c, n] of Object.entries(r.categories)) read[c] = (read[c] ?? 0) + n;
  const short = mails.flatMap((m) => m.reports).filter((r) => r.failedJobs).length;
  const unfinished = short ? ` (${short} not applied in full: see \`syncdesk failed list\`)` : '';
  lines.push(`reports: ${totals.reports}${unfinished}; errors: ${formatCounts(read)}; tickets: ${formatCounts(totals.tickets ?? tally.ticketActions)}`);
  if (report.failed.length) lines.push(`failed jobs: ${report.failed.length}; see \`syncdesk failed list\``);
  if (report.stopped) lines.push(`stopped early: ${report.stopped}; once fixed, run the same replay again: it goes on where it stopped, and what it queued is finished then`);
  return lines;
}

export async function runReplay(paths: string[], opts: ReplayOptions): Promise<number> {
  const config = cliConfig();
  const logger = cliLogger(config);
  const runtime = await openRuntime(config, logger);
  // a replay writes what an evicting Redis may drop again: said as a long-running command says it
  await warnIfEvicting(runtime.redis.client, logger);
  // the text form shows mail text (subjects, names, reasons): a control character in it is shown, not obeyed
  const print: Print = (line = '') => process.stdout.write(`${terminalText(line)}\n`);
  let workers: ReturnType<typeof startWorkers> = [];
  try {
    const unreadable: UnreadableInput[] = [];
    const passedOver: string[] = [];
    const overflow = () => logger.warn({ action: 'replay-order', budgetBytes: ORDER_BUDGET_BYTES }, 'too much mail to put in order in memory: the rest is replayed in the order given');
    const inputs = inRunOrder(inputsFrom(paths, opts, runtime, unreadable, passedOver), config.ingest.maxMailBytes, overflow);
    // nobody else works the queues (e.g. the embedded default): process here and wait
    const others = opts.dryRun ? 0 : await runtime.queues.ticket.getWorkersCount();
    const worked: ReplayReport['worked'] = opts.dryRun ? 'nobody' : (opts.wait ?? others === 0) ? 'here' : 'workers';
    const failedBefore = worked === 'here' ? await failedCounts(runtime) : new Map<string, number>();
    if (worked === 'here') workers = startWorkers(runtime, ['resolve', 'ticket'], { concurrency: 4 });
    const tally = watchWorkers(workers);
    const tickets = ticketsByReport(workers);
    const halted = haltOnDiskTrouble(workers);
    const ingest = worked === 'here' ? runtime.ingestor(oneReportAtATime(runtime, halted)) : runtime.ingestor();

    const closeJobs = new Map<string, string>();
    const mails = await replayMails(inputs, runtime, ingest, opts, opts.json ? undefined : print, closeJobs, halted);
    if (!opts.json) for (const u of unreadable) print(`${u.source}: cannot read (${u.reason}): passed over`);
    const skipped = passedOverLine(passedOver);
    if (!opts.json && skipped) print(skipped);
    const onUnworked = opts.json ? undefined : (names: string[]) => names.forEach((n) => print(`${unworkedLine(n)}${isOnPremQueue(n) ? ` (at most ONPREM_WAIT_SECONDS, ${config.onprem.waitSeconds} s; then their tickets go out without AD)` : ''}`));
    const drained = worked === 'here' ? await waitForDrain(runtime.queues, { onUnworked, halted }) : true;
    if (worked === 'here') {
      for (const m of mails) {
        for (const r of m.reports) {
          const key = reportKey(m.mailId, r.reportId);
          // the report's own count, whichever worker applied it (a worker running
          // beside a --wait replay took most of the jobs, and the replay said "tickets: none")
          r.tickets = (await appliedTotals(runtime, closeJobs.get(key))) ?? tickets.actions.get(key) ?? {};
          if (tickets.failed.has(key)) r.failedJobs = tickets.failed.get(key);
        }
      }
      tally.failed.push(...(await failedSince(runtime, failedBefore, tally.failed)));
    }
    const stopped = halted();
    const report: ReplayReport = { dryRun: !!opts.dryRun, worked, mails, totals: totalsOf(mails, worked), failed: tally.failed, unreadable, passedOver, ...(stopped && { stopped }) };
    if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else for (const line of renderSummary(report, tally, others)) print(line);
    // a mail kept but not read is a problem the admin must see, as a path that could not be read
    const rejected = mails.some((m) => m.status === 'rejected' || m.keptUnread);
    return drained && !tally.failed.length && !unreadable.length && !rejected ? 0 : 1;
  } finally {
    if (workers.length) await stopWorkers(workers, runtime, { graceMs: DRAINED_CLOSE_GRACE_MS });
    else await runtime.close();
  }
}
