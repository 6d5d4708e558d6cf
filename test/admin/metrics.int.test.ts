import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { metricsHooks } from '../../src/admin/instrument.ts';
import { createMetrics } from '../../src/admin/metrics.ts';
import type { AdminServer } from '../../src/admin/server.ts';
import { startAdmin } from '../../src/admin/start-admin.ts';
import { loadConfig } from '../../src/config.ts';
import { createIngestor } from '../../src/ingest/ingest-mail.ts';
import { createLogger } from '../../src/logger.ts';
import { parseMail } from '../../src/parse/parse-mail.ts';
import { waitForDrain } from '../../src/app/queue-drain.ts';
import { openRuntime, type Runtime } from '../../src/app/runtime.ts';
import { startWorkers } from '../../src/app/workers.ts';
import { services } from '../helpers/services.ts';
import { fixture, readTickets } from '../pipeline/helpers.ts';
import { freePort, sample } from './helpers.ts';

/**
 * What an admin reads on /metrics after the pipeline did its work in this process: a
 * report mail run through parse → resolve → ticket on the real Redis, scraped over HTTP.
 */

let runtime: Runtime | undefined;
let workers: Worker[] = [];
let admin: AdminServer | null = null;

afterEach(async () => {
  await admin?.close();
  admin = null;
  await Promise.all(workers.map((w) => w.close()));
  workers = [];
  if (runtime) {
    for (const q of [runtime.queues.poll, runtime.queues.resolve, runtime.queues.ticket]) await q.obliterate({ force: true }).catch(() => undefined);
    await runtime.close();
  }
  runtime = undefined;
});

async function pipeline(extraEnv: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'syncdesk-metrics-'));
  const config = loadConfig({
    REDIS_URL: services().REDIS_URL!,
    REDIS_PREFIX: `t${randomUUID().slice(0, 8)}`,
    TICKET_SINK: 'file',
    TICKET_DIR: join(dir, 'tickets'),
    MAIL_STORE_DIR: join(dir, 'mail'),
    TRUST_POLICY: 'off',
    ADMIN_PORT: String(await freePort()),
    ...extraEnv,
  });
  const metrics = createMetrics();
  runtime = await openRuntime(config, createLogger({ level: 'silent' }), metricsHooks(metrics));
  workers = startWorkers(runtime, ['resolve', 'ticket']);
  admin = await startAdmin(runtime, metrics, { workers });
  const scrape = async () => {
    const res = await fetch(`${admin!.url}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };
  return { runtime, metrics, dir, scrape };
}

describe('/metrics after real work', () => {
  it('counts the mail, the report, its errors by category, the tickets created, the jobs and the queue depths', async () => {
    const { runtime: rt, dir, scrape } = await pipeline();
    const raw = fixture('aad-table-object-error-id.eml');

    const first = await rt.ingestor().ingest(raw, { origin: 'replay-file', receivedAt: new Date() });
    expect(first.status).toBe('queued');
    expect(await waitForDrain(rt.queues, { timeoutMs: 60_000 })).toBe(true);
    const again = await rt.ingestor().ingest(raw, { origin: 'imap', receivedAt: new Date() });
    expect(again.status).toBe('duplicate');
    await rt.ingestor().ingest(fixture('not-report-newsletter.eml'), { origin: 'imap', receivedAt: new Date() });

    const text = await scrape();
    expect(sample(text, 'syncdesk_mails_ingested_total', { origin: 'replay-file', status: 'queued' })).toBe(1);
    expect(sample(text, 'syncdesk_mails_ingested_total', { origin: 'imap', status: 'duplicate' })).toBe(1);
    expect(sample(text, 'syncdesk_mails_ingested_total', { origin: 'imap', status: 'not-a-report' })).toBe(1);
    expect(sample(text, 'syncdesk_reports_parsed_total', { source: 'mail' })).toBe(1);

    // the errors of the report, by category, as the parser sees them
    const parsed = await parseMail(raw);
    if (!parsed.ok) throw new Error('fixture must parse');
    const categories: Record<string, number> = {};
    for (const e of parsed.reports.flatMap((r) => r.errors)) categories[e.category] = (categories[e.category] ?? 0) + 1;
    expect(Object.keys(categories).length).toBeGreaterThan(0);
    for (const [category, n] of Object.entries(categories)) expect(sample(text, 'syncdesk_sync_errors_total', { category })).toBe(n);

    // one `created` per ticket the file sink holds
    const tickets = readTickets(join(dir, 'tickets'));
    expect(tickets.length).toBeGreaterThan(0);
    expect(sample(text, 'syncdesk_tickets_total', { sink: 'file', action: 'created' })).toBe(tickets.length);
    // and per tenant, by the report's tenant key (an MSP's alert per customer: blind34 M9)
    const tenant = parsed.reports[0]!.tenant;
    expect(tenant.domain).toBeTruthy();
    expect(sample(text, 'syncdesk_tenant_tickets_total', { tenant: tenant.domain!.toLowerCase(), action: 'created' })).toBe(tickets.length);

    // one resolve job; on the ticket queue the report's one chunk and its close
    for (const [queue, jobs] of [['resolve', 1], ['ticket', 2]] as const) {
      expect(sample(text, 'syncdesk_jobs_total', { queue, result: 'completed' })).toBe(jobs);
      expect(sample(text, 'syncdesk_job_duration_seconds_count', { queue, result: 'completed' })).toBe(jobs);
      expect(sample(text, 'syncdesk_queue_jobs', { queue, state: 'completed' })).toBe(jobs);
      expect(sample(text, 'syncdesk_queue_jobs', { queue, state: 'waiting' })).toBe(0);
      expect(sample(text, 'syncdesk_queue_jobs', { queue, state: 'failed' })).toBe(0);
    }
    // no Graph configured: no Graph traffic
    expect(sample(text, 'syncdesk_graph_requests_total')).toBeUndefined();
  });

  it("counts ticket actions per tenant by the tenants file's id, and names each id (syncdesk_tenant_info: blind34 M9)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'syncdesk-metrics-tenants-'));
    const tenantsFile = join(dir, 'tenants.yaml');
    const id = '0e2e0000-0000-4000-8000-00000000c0c0';
    // no sign-in (consent pending): the file names and routes the tenant, nothing is looked up
    writeFileSync(tenantsFile, `tenants:\n  - name: Contoso Pharma\n    tenantId: ${id}\n    domains: [contoso.onmicrosoft.com]\n  - name: Fabrikam\n    tenantId: 0e2e0000-0000-4000-8000-00000000fab0\n`);
    const { runtime: rt, dir: work, scrape } = await pipeline({ GRAPH_TENANTS_FILE: tenantsFile });
    expect((await rt.ingestor().ingest(fixture('aad-table-object-error-id.eml'), { origin: 'replay-file', receivedAt: new Date() })).status).toBe('queued');
    expect(await waitForDrain(rt.queues, { timeoutMs: 60_000 })).toBe(true);
    const text = await scrape();
    const tickets = readTickets(join(work, 'tickets'));
    expect(tickets.length).toBeGreaterThan(0);
    expect(sample(text, 'syncdesk_tenant_tickets_total', { tenant: id, action: 'created' })).toBe(tickets.length);
    expect(sample(text, 'syncdesk_tenant_info', { tenant: id, name: 'Contoso Pharma' })).toBe(1);
    expect(sample(text, 'syncdesk_tenant_info', { tenant: '0e2e0000-0000-4000-8000-00000000fab0', name: 'Fabrikam' })).toBe(1);
  });

  it('counts rejected, quarantined and failed work', async () => {
    const { runtime: rt, metrics, scrape } = await pipeline({ MAX_MAIL_BYTES: '20000' });

    // too large: kept truncated and rejected at ingestion
    const big = Buffer.concat([fixture('aad-table-object-error-id.eml'), Buffer.alloc(30_000, 'x')]);
    expect((await rt.ingestor().ingest(big, { origin: 'replay-file', receivedAt: new Date() })).status).toBe('rejected');

    // sender trust refuses a report (a stand-in verdict: real trust checks ask DNS)
    const untrusting = createIngestor({
      redis: rt.redis.client as never,
      store: rt.store,
      queueReports: async () => [],
      config: rt.config,
      logger: rt.logger,
      trust: { evaluate: async () => ({ trusted: false, reason: 'DMARC fail for microsoftonline.com', sender: 'x@microsoftonline.com', checks: {} as never }) },
    });
    const meta = { origin: 'imap' as const, receivedAt: new Date() };
    const quarantined = await untrusting.ingest(fixture('fwd-gmail.eml'), meta);
    expect(quarantined.status).toBe('quarantined');
    metricsHooks(metrics).ingested(quarantined, meta);

    // a resolve job with a payload no stage wrote fails for good, at once
    const failedResolve = new Promise<void>((resolve) => workers[0]!.on('failed', () => resolve()));
    await rt.queues.resolve.add('resolve', { report: 'not a report' } as never);
    await failedResolve;

    const text = await scrape();
    expect(sample(text, 'syncdesk_mails_ingested_total', { origin: 'replay-file', status: 'rejected' })).toBe(1);
    expect(sample(text, 'syncdesk_mails_rejected_total', { reason: 'too-large' })).toBe(1);
    expect(sample(text, 'syncdesk_mails_ingested_total', { origin: 'imap', status: 'quarantined' })).toBe(1);
    expect(sample(text, 'syncdesk_mails_quarantined_total', { origin: 'imap' })).toBe(1);
    expect(sample(text, 'syncdesk_jobs_total', { queue: 'resolve', result: 'failed' })).toBe(1);
    expect(sample(text, 'syncdesk_queue_jobs', { queue: 'resolve', state: 'failed' })).toBe(1);
    expect(sample(text, 'syncdesk_reports_parsed_total', { source: 'mail' })).toBeUndefined();
  });

  it('keeps counters per process: a second process has its own, the queue depths are shared', async () => {
    const { runtime: rt, scrape } = await pipeline();
    await rt.ingestor().ingest(fixture('fwd-gmail.eml'), { origin: 'replay-file', receivedAt: new Date() });
    expect(await waitForDrain(rt.queues, { timeoutMs: 60_000 })).toBe(true);

    // a metrics registry of another process on the same Redis and prefix, with no work done
    const other = createMetrics({ processMetrics: false });
    other.watchQueues(rt.queues);
    const otherText = await other.registry.metrics();
    const text = await scrape();
    // the report's chunk and its close
    expect(sample(text, 'syncdesk_jobs_total', { queue: 'ticket', result: 'completed' })).toBe(2);
    expect(sample(otherText, 'syncdesk_jobs_total', { queue: 'ticket', result: 'completed' })).toBe(0);
    expect(sample(otherText, 'syncdesk_queue_jobs', { queue: 'ticket', state: 'completed' })).toBe(2);
  });
});
