import { SingleBar } from 'cli-progress';
import type { MailOrigin } from '../../schemas/jobs.schema.ts';
import { readMailInputs } from '../ingest/mail-files.ts';
import { parseMail } from '../parse/parse-mail.ts';
import { cliConfig, cliLogger, formatCounts, waitForDrain } from '../app/cli-support.ts';
import { openRuntime, type Runtime } from '../app/runtime.ts';
import { watchWorkers } from '../app/session.ts';
import { startWorkers, stopWorkers } from '../app/workers.ts';

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
}

interface ReplayInput {
  raw: Buffer;
  label: string;
  origin: MailOrigin;
  receivedAt: Date;
}

async function* inputsFrom(paths: string[], opts: ReplayOptions, runtimeConfig: Runtime['config']): AsyncGenerator<ReplayInput> {
  if (opts.graph) {
    const { readGraphFolder } = await import('../ingest/graph-folder-source.ts');
    for await (const m of readGraphFolder(runtimeConfig, { mailbox: opts.mailbox, folder: opts.folder, since: opts.since!, until: opts.until })) {
      yield { raw: m.raw, label: m.label, origin: 'replay-graph', receivedAt: m.receivedAt };
    }
    return;
  }
  if (opts.imap) {
    const { readImapFolder } = await import('../ingest/imap-folder-source.ts');
    const mails = readImapFolder(runtimeConfig, {
      mailbox: opts.mailbox ?? runtimeConfig.imap.mailbox,
      since: opts.since!,
      until: opts.until,
    });
    for await (const m of mails) {
      yield { raw: m.raw, label: m.label, origin: 'replay-imap', receivedAt: m.internalDate };
    }
    return;
  }
  for await (const m of readMailInputs(paths)) {
    yield { raw: m.raw, label: m.label, origin: m.kind === 'mbox' ? 'replay-mbox' : 'replay-file', receivedAt: new Date() };
  }
}

/**
 * Mails an admin replays from disk were mostly saved from a mailbox (often their own) and
 * their DKIM signatures rarely survive saving or forwarding: the admin vouches for them, so
 * sender trust would only quarantine genuine reports. A mailbox read (IMAP, Graph) is
 * judged as the listener judges it; `--verify-senders` judges files the same way.
 */
function vouchedFor(input: ReplayInput, opts: ReplayOptions): string | undefined {
  if (opts.verifySenders || (input.origin !== 'replay-file' && input.origin !== 'replay-mbox')) return undefined;
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

async function dryRun(inputs: AsyncGenerator<ReplayInput>, runtime: Runtime): Promise<number> {
  const print = (line = '') => process.stdout.write(`${line}\n`);
  const resolver = runtime.resolver();
  const stage = runtime.ticketStage();
  const planned: Record<string, number> = {};
  let mails = 0;
  let rejected = 0;
  let reports = 0;
  for await (const input of inputs) {
    mails++;
    const outcome = await parseMail(input.raw, { maxBytes: runtime.config.ingest.maxMailBytes });
    if (!outcome.ok) {
      rejected++;
      print(`${input.label}: rejected (${outcome.rejection.reason}): ${outcome.rejection.detail}`);
      continue;
    }
    for (const report of outcome.reports) {
      reports++;
      const ref = runtime.reportRef(report, { mailId: null, receivedAt: input.receivedAt, envelopeFrom: null });
      print(`${input.label}: report ${ref.reportId} (tenant ${ref.tenantKey}, covers ${ref.coversAt}), ${report.errors.length} error(s)`);
      for (const e of report.errors) {
        const attrs = e.attributes.map((a) => `${a.name}${a.value ? `=${a.value}` : ''}`).join(' ');
        print(`  - ${e.category}${e.errorCode ? ` (${e.errorCode})` : ''} ${e.identity ?? '(tenant)'} ${attrs}`.trimEnd());
      }
      const resolutions = await resolver.resolve(ref, report.errors);
      const actions = await stage.planReport({ report: ref, errors: report.errors }, resolutions);
      for (const a of actions) {
        planned[a.action] = (planned[a.action] ?? 0) + 1;
        print(`  => ${a.action}${a.ticketId ? ` #${a.ticketId}` : ''}: ${a.summary}`);
      }
    }
  }
  print(`dry run: ${mails} mail(s), ${reports} report(s), ${rejected} rejected; planned: ${formatCounts(planned)}; nothing was changed`);
  return 0;
}

export async function runReplay(paths: string[], opts: ReplayOptions): Promise<number> {
  const config = cliConfig();
  const logger = cliLogger(config);
  const runtime = await openRuntime(config, logger);
  const print = (line = '') => process.stdout.write(`${line}\n`);
  let workers: ReturnType<typeof startWorkers> = [];
  try {
    const inputs = inputsFrom(paths, opts, config);
    if (opts.dryRun) return await dryRun(inputs, runtime);

    // nobody else works the queues (e.g. the embedded default): process here and wait
    const others = await runtime.queues.ticket.getWorkersCount();
    const processHere = opts.wait ?? others === 0;
    if (processHere) workers = startWorkers(runtime, ['resolve', 'ticket'], { concurrency: 4 });
    const tally = watchWorkers(workers);

    const ingest = runtime.ingestor();
    const statuses: Record<string, number> = {};
    const rejected: string[] = [];
    const bar = progressBar();
    let mails = 0;
    try {
      for await (const input of inputs) {
        mails++;
        const r = await ingest.ingest(input.raw, { origin: input.origin, receivedAt: input.receivedAt, force: opts.force, vouched: vouchedFor(input, opts) });
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        if (r.status === 'rejected') rejected.push(r.reason ?? 'rejected');
        bar.tick(formatCounts(statuses));
        if (r.status !== 'queued') logger.info({ action: 'replay', label: input.label, status: r.status, reason: r.reason }, 'mail not queued');
      }
    } finally {
      bar.stop();
    }
    print(`replay: ${mails} mail(s): ${formatCounts(statuses)}`);
    if (statuses.quarantined) print(`quarantined mails are kept: \`syncdesk quarantine list\``);
    if (rejected.length) print(`rejected: ${rejected.length} (${rejected.map((r) => r.split(':')[0]).join(', ')}); kept, see \`syncdesk failed list\``);
    if (!processHere) {
      print(`queued for the running workers (${others}); follow with \`syncdesk status\``);
      return 0;
    }
    const drained = await waitForDrain(runtime.queues);
    const t = tally.ticketActions;
    print(`reports: ${tally.reports}; errors: ${formatCounts(tally.errorsByCategory)}; tickets: ${formatCounts(t)}`);
    if (tally.failed.length) print(`failed jobs: ${tally.failed.length}; see \`syncdesk failed list\``);
    return drained && !tally.failed.length ? 0 : 1;
  } finally {
    if (workers.length) await stopWorkers(workers, runtime);
    else await runtime.close();
  }
}
