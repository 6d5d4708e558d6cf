import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { MailOriginSchema } from '../../schemas/jobs.schema.ts';
import { ERROR_CATEGORIES, REJECTION_REASONS } from '../../schemas/report.schema.ts';
import { QUEUE_NAMES, type Queues } from '../queues.ts';
import { packageVersion } from '../version.ts';

/**
 * The process's Prometheus metrics, in a registry of its own (prom-client's global
 * registry is never touched). Counters count what *this* process did: run several
 * processes and Prometheus sums them. Queue depths are read from Redis on each scrape,
 * so every process reports the same, shared numbers.
 */

/** The BullMQ states reported as queue depth. */
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'waiting-children', 'prioritized', 'completed', 'failed'] as const;

/** How long a scrape waits for Redis before leaving the queue depths out. */
const QUEUE_SCRAPE_TIMEOUT_MS = 2_000;

export interface Metrics {
  registry: Registry;
  /** Mails that went through ingestion, by origin (imap, replay-file, …) and answer (queued, duplicate, …). */
  mailsIngested: Counter<'origin' | 'status'>;
  /** Reports found in parsed mails (`mail`) or by the Graph poll (`graph-poll`). */
  reportsParsed: Counter<'source'>;
  /** Sync errors in reports applied to tickets, by category. */
  errors: Counter<'category'>;
  /** Mails refused, by reason (the parser's, or `too-large` at ingestion). */
  mailsRejected: Counter<'reason'>;
  /** Mails held back by sender trust. */
  quarantined: Counter<'origin'>;
  /** HTTP requests to Microsoft Graph, by status code (0: no answer). */
  graphRequests: Counter<'code'>;
  /** Items of `$batch` answers (each one is a Graph request for throttling purposes). */
  graphBatchItems: Counter<'code'>;
  /** 429 answers from Graph: to a whole request (`request`) or to one batch item (`batch-item`). */
  graphThrottled: Counter<'level'>;
  /** Sign-ins to Graph that failed, so no request went out: `permanent` needs a person (a secret expired, an app removed). */
  graphSignInFailures: Counter<'kind'>;
  /** What the ticket stage did, by sink and action (created, updated, resolved, reopened, followup, …). */
  tickets: Counter<'sink' | 'action'>;
  /** The same per tenant (the report's tenant key), for an MSP's alerts: "customer X has new problems". */
  tenantTickets: Counter<'tenant' | 'action'>;
  /** Finished job attempts by queue and result (completed, failed, retried). */
  jobs: Counter<'queue' | 'result'>;
  /** Processing time of job attempts (not time spent waiting), by queue and result. */
  jobDuration: Histogram<'queue' | 'result'>;
  /** The time of the last mail ingested by this process (Unix seconds). */
  lastMailReceived: Gauge;
  /** Reads queue depths from these queues on each scrape. */
  watchQueues(queues: Queues): void;
  /** Reports whether the mailbox listener of this process is connected (1) or not (0) on each scrape. */
  watchMailbox(connected: () => boolean): void;
  /** Names the tenant keys (`syncdesk_tenant_info`): a tenants file keys its tenants by id, a dashboard shows their names. */
  nameTenants(names: ReadonlyMap<string, string>): void;
}

export interface MetricsOptions {
  /** Node process metrics (CPU, memory, event loop). @defaultValue true */
  processMetrics?: boolean;
  /** For syncdesk_build_info. @defaultValue package.json's */
  version?: string;
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  // the standard names (process_cpu_seconds_total, nodejs_heap_size_used_bytes, …) that
  // every Node dashboard and alert rule expects
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  let watched: Queues | null = null;

  new Gauge({
    name: 'syncdesk_build_info',
    help: 'Always 1; the labels say which syncdesk and Node run.',
    labelNames: ['version', 'node'] as const,
    registers,
  }).set({ version: options.version ?? packageVersion(), node: process.version }, 1);

  type Depths = Array<Record<string, number>> | null;
  let reading: Promise<Depths> | null = null;
  /** One read of every queue's depths per scrape, shared by the two gauges that need it (prom-client collects them at once). */
  const readDepths = (queues: Queues): Promise<Depths> => {
    reading ??= (async () => {
      const read = Promise.all(queues.names.map((name) => queues.byName(name).getJobCounts(...QUEUE_STATES)));
      const timeout = new Promise<null>((resolve) => setTimeout(resolve, QUEUE_SCRAPE_TIMEOUT_MS, null).unref());
      // Redis down: leave the depths out rather than hang the scrape (syncdesk_redis_up and readyz say why)
      return Promise.race([read.catch(() => null), timeout]);
    })().finally(() => (reading = null));
    return reading;
  };

  new Gauge({
    name: 'syncdesk_queue_jobs',
    help: 'Jobs in each queue by state (read from Redis on scrape; the same in every process).',
    labelNames: ['queue', 'state'] as const,
    registers,
    async collect() {
      this.reset();
      if (!watched) return;
      const names = watched.names;
      const counts = await readDepths(watched);
      if (!counts) return;
      names.forEach((queue, i) => {
        for (const state of QUEUE_STATES) this.set({ queue, state }, counts[i]![state] ?? 0);
      });
    },
  });

  // the depths vanish while Redis is down; an alert needs a series that says so
  new Gauge({
    name: 'syncdesk_redis_up',
    help: 'Whether this scrape could read the queues from Redis (1) or not (0); absent in a process that watches no queue.',
    registers,
    async collect() {
      if (watched) this.set((await readDepths(watched)) ? 1 : 0);
    },
  });

  const metrics: Metrics = {
    registry,
    lastMailReceived: new Gauge({ name: 'syncdesk_last_mail_received_timestamp_seconds', help: 'When this process last ingested a mail (Unix time).', registers }),
    mailsIngested: new Counter({ name: 'syncdesk_mails_ingested_total', help: 'Mails ingested, by origin and answer.', labelNames: ['origin', 'status'] as const, registers }),
    reportsParsed: new Counter({ name: 'syncdesk_reports_parsed_total', help: 'Reports parsed from mails or polled from Graph.', labelNames: ['source'] as const, registers }),
    errors: new Counter({ name: 'syncdesk_sync_errors_total', help: 'Sync errors in reports applied to tickets, by category.', labelNames: ['category'] as const, registers }),
    mailsRejected: new Counter({ name: 'syncdesk_mails_rejected_total', help: 'Mails rejected, by reason.', labelNames: ['reason'] as const, registers }),
    quarantined: new Counter({ name: 'syncdesk_mails_quarantined_total', help: 'Mails quarantined by sender trust.', labelNames: ['origin'] as const, registers }),
    graphRequests: new Counter({ name: 'syncdesk_graph_requests_total', help: 'HTTP requests sent to Microsoft Graph, by status code (0: no answer).', labelNames: ['code'] as const, registers }),
    graphBatchItems: new Counter({ name: 'syncdesk_graph_batch_items_total', help: 'Items answered inside Graph $batch requests, by status code.', labelNames: ['code'] as const, registers }),
    graphThrottled: new Counter({ name: 'syncdesk_graph_throttled_total', help: 'Graph 429 answers, to a request or to one $batch item.', labelNames: ['level'] as const, registers }),
    graphSignInFailures: new Counter({ name: 'syncdesk_graph_sign_in_failures_total', help: 'Graph sign-ins that failed (no request sent): transient (retried: host down or busy) or permanent (a person must fix it: AADSTS codes).', labelNames: ['kind'] as const, registers }),
    tickets: new Counter({ name: 'syncdesk_tickets_total', help: 'Ticket actions, by sink and action.', labelNames: ['sink', 'action'] as const, registers }),
    // one series per tenant and action that happened: an MSP's hundred customers stay a few hundred series
    tenantTickets: new Counter({ name: 'syncdesk_tenant_tickets_total', help: 'Ticket actions, by the report\'s tenant key and action.', labelNames: ['tenant', 'action'] as const, registers }),
    jobs: new Counter({ name: 'syncdesk_jobs_total', help: 'Job attempts finished by this process, by queue and result.', labelNames: ['queue', 'result'] as const, registers }),
    jobDuration: new Histogram({
      name: 'syncdesk_job_duration_seconds',
      help: 'Processing time of job attempts, by queue and result.',
      labelNames: ['queue', 'result'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    watchQueues(queues) {
      watched = queues;
    },
    watchMailbox(connected) {
      // registered here, not at start: a process without a listener (a worker host) has no
      // mailbox, and a gauge at 0 there would read as a mailbox down
      new Gauge({
        name: 'syncdesk_mailbox_connected',
        help: 'Whether this process holds a working session to the report mailbox (1) or not (0); absent without a listener.',
        registers,
        collect() {
          this.set(connected() ? 1 : 0);
        },
      });
    },
    nameTenants(names) {
      // the usual info metric: joined on `tenant` in a query, a renamed tenant is one series again, not a new counter
      const info = new Gauge({ name: 'syncdesk_tenant_info', help: 'Always 1; the name the tenants file gives each tenant key.', labelNames: ['tenant', 'name'] as const, registers });
      for (const [tenant, name] of names) info.set({ tenant, name }, 1);
    },
  };
  // Labelled series exist at 0 from the start, so rate() and alerts see the first increase.
  for (const category of ERROR_CATEGORIES) metrics.errors.labels({ category }).inc(0);
  // someone else's mail is no rejection: it counts as syncdesk_mails_ingested_total{status="not-a-report"}
  for (const reason of REJECTION_REASONS) if (reason !== 'not-a-report') metrics.mailsRejected.labels({ reason }).inc(0);
  for (const level of ['request', 'batch-item']) metrics.graphThrottled.labels({ level }).inc(0);
  for (const kind of ['transient', 'permanent']) metrics.graphSignInFailures.labels({ kind }).inc(0);
  for (const queue of Object.keys(QUEUE_NAMES)) for (const result of ['completed', 'failed', 'retried']) metrics.jobs.labels({ queue, result }).inc(0);
  // the first quarantine after a restart is an increase too
  for (const origin of MailOriginSchema.options) metrics.quarantined.labels({ origin }).inc(0);
  return metrics;
}
