import type { Job, Worker } from 'bullmq';
import type { TicketJob } from '../../schemas/jobs.schema.ts';
import type { IngestMeta, IngestResult } from '../ingest/ingest-mail.ts';
import type { TicketJobResult } from '../app/processors.ts';
import { isFinalFailure } from '../app/run-worker.ts';
import type { QueuedReport } from '../ingest/queue-reports.ts';
import type { RuntimeHooks } from '../app/runtime.ts';
import type { TicketActionKind } from '../ticket/apply-report.ts';
import type { GraphExchange } from '../resolve/graph-observer.ts';
import type { Metrics } from './metrics.ts';

/**
 * Where the metrics learn what happened, in one place: the answers of the ingestor, the
 * Graph client's requests, and the BullMQ workers' `completed`/`failed` events with the
 * values the jobs return (poll: the reports queued; ticket: the ticket actions).
 * Stage code knows nothing of metrics.
 */

/** Ticket actions as the `action` label shows them. */
const ACTION_LABEL: Record<TicketActionKind, string> = {
  create: 'created',
  note: 'updated',
  resolve: 'resolved',
  reopen: 'reopened',
  followup: 'followup',
  unchanged: 'unchanged',
  'skip-wontfix': 'skipped-wontfix',
  'skip-old': 'skipped-old',
};

/** The hooks to pass to `openRuntime` so ingestion and Graph traffic are counted. */
export function metricsHooks(metrics: Metrics): Required<RuntimeHooks> {
  return {
    ingested: (result, meta) => countIngest(metrics, result, meta),
    graph: (exchange) => countGraph(metrics, exchange),
  };
}

export function countIngest(metrics: Metrics, result: IngestResult, meta: IngestMeta): void {
  if (result.status === 'dry-run') return;
  metrics.mailsIngested.inc({ origin: meta.origin, status: result.status });
  metrics.lastMailReceived.set(Date.now() / 1000);
  if (result.reports?.length) metrics.reportsParsed.inc({ source: 'mail' }, result.reports.length);
  if (result.status === 'quarantined') metrics.quarantined.inc({ origin: meta.origin });
  // `too-large: 40 MB …` → too-large; `unreadable: …` → unreadable (the parser's reason)
  if (result.status === 'rejected') metrics.mailsRejected.inc({ reason: (result.reason ?? 'rejected').split(':')[0]! });
}

export function countGraph(metrics: Metrics, exchange: GraphExchange): void {
  if (exchange.signInFailed) {
    metrics.graphSignInFailures.inc({ kind: exchange.signInFailed });
    return;
  }
  metrics.graphRequests.inc({ code: String(exchange.status) });
  if (exchange.status === 429) metrics.graphThrottled.inc({ level: 'request' });
  for (const status of exchange.itemStatuses) {
    metrics.graphBatchItems.inc({ code: String(status) });
    if (status === 429) metrics.graphThrottled.inc({ level: 'batch-item' });
  }
}

function observeDuration(metrics: Metrics, queue: string, result: string, job: Job): void {
  if (!job.processedOn) return;
  const seconds = Math.max(0, ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000);
  metrics.jobDuration.observe({ queue, result }, seconds);
}

function countCompleted(metrics: Metrics, queue: string, job: Job, result: unknown, sink: string): void {
  if (queue === 'poll') {
    const r = result as { reports?: QueuedReport[] } | undefined;
    if (r?.reports?.length) metrics.reportsParsed.inc({ source: 'graph-poll' }, r.reports.length);
  } else if (queue === 'ticket') {
    const data = job.data as TicketJob;
    const r = result as TicketJobResult | undefined;
    if (data.kind !== 'close') for (const e of data.errors) metrics.errors.inc({ category: e.category });
    for (const a of r?.actions ?? []) {
      const action = ACTION_LABEL[a.action] ?? a.action;
      metrics.tickets.inc({ sink, action });
      metrics.tenantTickets.inc({ tenant: data.report.tenantKey, action });
    }
  }
}

/** Counts what `workers` do; `sink` labels the ticket actions (config.ticket.sink). */
export function instrumentWorkers(metrics: Metrics, workers: Worker[], sink: string): void {
  for (const worker of workers) {
    const queue = worker.name;
    worker.on('completed', (job: Job, result: unknown) => {
      metrics.jobs.inc({ queue, result: 'completed' });
      observeDuration(metrics, queue, 'completed', job);
      countCompleted(metrics, queue, job, result, sink);
    });
    worker.on('failed', (job: Job | undefined, err: Error) => {
      if (!job) return;
      const final = isFinalFailure(job, err);
      const result = final ? 'failed' : 'retried';
      metrics.jobs.inc({ queue, result });
      observeDuration(metrics, queue, result, job);
    });
  }
}
