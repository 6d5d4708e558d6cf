import type { Redis } from 'ioredis';
import { ERROR_CATEGORIES } from '../../schemas/report.schema.ts';
import { createLedger, RECENT_KEPT } from '../ingest/ledger.ts';
import { listQuarantine } from '../ingest/quarantine.ts';
import { cliConfig, cliLogger, formatCounts } from '../app/cli-support.ts';
import { queueCounts, unworkedLine, unworkedQueues } from '../app/queue-drain.ts';
import { createQueues, onPremQueueName, type Queues } from '../queues.ts';
import type { Config } from '../../schemas/config.schema.ts';
import type { TicketJobResult } from '../app/processors.ts';
import { openRedis, type RedisClient } from '../redis/connection.ts';
import { onPremRouting } from '../app/onprem-routing.ts';
import { aboutOf } from '../app/job-about.ts';
import { listFailed, listSetAside } from './failed.ts';
import { terminalText } from '../terminal-text.ts';
import { categoryOfTitle } from '../ticket/problem-title.ts';
import { scanKeyStates } from '../ticket/ticket-state.ts';
import { createTicketSink } from '../ticket/sinks/index.ts';
import { atAnotherDesk } from '../ticket/ticket-sink.ts';
import { streamTenant } from '../parse/report-ref.ts';
import { loadConfiguredTenants, tenantNames, type TenantDirectory } from '../resolve/tenants.ts';

/** What `syncdesk status` does (loaded when it runs; see status-command.ts). */

const CATEGORY_WORDS = new Map(ERROR_CATEGORIES.map((c) => [c.toLowerCase(), c]));

/** The category of an open problem, from its ticket's summary: `[<title>] …` (problem-title.ts), else a category's name in it. */
export function categoryOf(summary: string | undefined): string {
  const title = /^\[([^\]]+)\]/.exec(summary ?? '')?.[1];
  const category = title ? categoryOfTitle(title) : null;
  if (category) return category;
  for (const w of (summary ?? '').split(/[^A-Za-z]+/)) {
    const c = CATEGORY_WORDS.get(w.toLowerCase());
    if (c) return c;
  }
  return 'other';
}

/** An open problem whose ticket syncdesk knows by another desk's address than the configured one's. */
export interface ProblemAtAnotherDesk {
  ticketId: string | null;
  ticketUrl: string;
  summary: string;
}

/**
 * Open problems by tenant and category, and those whose ticket is at another desk than the
 * one at `where` (TICKET_SINK or its address changed: the old desk's tickets are the admin's to
 * close). A tenant's Graph poll (`<tenant>|graph`) and digest (`digest:<tenant>`) streams count as the tenant.
 */
async function openProblems(redis: RedisClient, prefix: string, where: string | undefined): Promise<{ byTenant: Map<string, Record<string, number>>; elsewhere: ProblemAtAnotherDesk[] }> {
  const byTenant = new Map<string, Record<string, number>>();
  const elsewhere: ProblemAtAnotherDesk[] = [];
  for await (const states of scanKeyStates(redis, prefix)) {
    for (const state of states) {
      // a state moved to the tenant's name of now (movedTo) is counted there, not under the old name
      if (state.status !== 'open' || state.movedTo) continue;
      const tenant = streamTenant(state.stream);
      const counts = byTenant.get(tenant) ?? {};
      const cat = categoryOf(state.summary);
      counts[cat] = (counts[cat] ?? 0) + 1;
      byTenant.set(tenant, counts);
      if (atAnotherDesk(state.ticketUrl, where)) elsewhere.push({ ticketId: state.ticketId, ticketUrl: state.ticketUrl!, summary: state.summary });
    }
  }
  return { byTenant, elsewhere: elsewhere.sort((a, b) => a.ticketUrl.localeCompare(b.ticketUrl)) };
}

/** Where the configured desk is (TicketSink.where); undefined where its adapter cannot be built on this host. */
function deskWhere(config: Config): string | undefined {
  try {
    return createTicketSink(config, { logger: cliLogger(config) }).where;
  } catch {
    return undefined;
  }
}

/** What the ticket stage left alone because a newer report had decided it: from the ticket jobs kept (7 days, 5,000). */
async function skippedAsOld(queues: Queues): Promise<{ problems: number; reports: Array<{ reportId: string; problems: number }> }> {
  const jobs = await queues.ticket.getCompleted(0, 4_999);
  const reports: Array<{ reportId: string; problems: number }> = [];
  for (const job of jobs) {
    const result = job?.returnvalue as TicketJobResult | undefined;
    const problems = result?.totals?.['skip-old'] ?? 0;
    if (problems) reports.push({ reportId: result!.reportId, problems });
  }
  return { problems: reports.reduce((n, r) => n + r.problems, 0), reports };
}

/** Where things stand, as `status --json` prints it (the text form renders the same). */
export interface StatusReport {
  redis: string;
  mails: { total: number; byStatus: Record<string, number>; recent: Array<{ firstSeen: string; mailId: string; origin: string; status: string; reason: string | null }> };
  /** Open problems by tenant key; `names`: the tenants file's name of a key, where it gives one. */
  openProblems: {
    total: number;
    byTenant: Record<string, Record<string, number>>;
    names: Record<string, string>;
    /** Tenant keys no entry of the tenants file matched: not looked up in Graph; absent without a file. */
    unknown?: string[];
    /** Those whose ticket is at another desk than the configured one (`desk`): tickets to close there. */
    atAnotherDesk: { desk: string | null; problems: ProblemAtAnotherDesk[] };
  };
  quarantined: number;
  queues: Record<string, Record<string, number>>;
  /** Queues with work waiting and no worker connected: their reports wait (a forest's worker host down, say). */
  unworked: string[];
  skippedAsOld: { problems: number; reports: Array<{ reportId: string; problems: number }> };
  failed: Array<{ queue: string; id: string; reason: string; about?: string }>;
  /** Jobs waiting out a backoff after a transient failure (a desk or folder down): not failed yet, and not silent. */
  retrying: Array<{ queue: string; id: string; attempt: number; of: number; reason: string; about?: string }>;
}

/** The delayed jobs that failed an attempt, newest first: the retries `failed list` shows only once they give up. */
async function retrying(queues: Queues, limit = 20): Promise<StatusReport['retrying']> {
  const out: Array<StatusReport['retrying'][number] & { at: number }> = [];
  for (const queue of queues.names) {
    for (const job of await queues.byName(queue).getDelayed(0, limit - 1)) {
      if (!job?.attemptsMade || !job.failedReason) continue;
      out.push({ queue, id: String(job.id), attempt: job.attemptsMade, of: job.opts.attempts ?? 1, reason: job.failedReason, ...aboutOf(job), at: job.processedOn ?? 0 });
    }
  }
  return out.sort((a, b) => b.at - a.at).slice(0, limit).map(({ at: _at, ...r }) => r);
}

/** The queues whose jobs wait for a worker that is not there (BullMQ lists each queue's connected workers). */
/** The tenants file, or null where it cannot be read (a secret not set on this host): that must not hide the rest of the status. */
function tenantsFileOrNull(config: Config): { tenants: TenantDirectory | null } | null {
  try {
    return { tenants: loadConfiguredTenants(config) };
  } catch {
    return null;
  }
}

/** The forests' queues to show. */
function forestQueuesOf(config: Config, file: { tenants: TenantDirectory | null } | null): string[] {
  if (file) return onPremRouting(config, file.tenants).forestQueues ?? [];
  return config.onprem.forest ? [onPremQueueName(config.onprem.forest)] : [];
}

async function readStatus(opts: { recent: number }): Promise<StatusReport> {
  const config = cliConfig();
  const redis = await openRedis(config, cliLogger(config));
  const file = tenantsFileOrNull(config);
  const queues = createQueues(redis.client, redis.queuePrefix, { forestQueues: forestQueuesOf(config, file) });
  try {
    const mails = await createLedger(redis.client as Redis, config.redis.prefix).recent(RECENT_KEPT);
    const byStatus: Record<string, number> = {};
    // a mail the admin dropped (`failed drop`, `quarantine drop`) is no longer waiting on anyone
    for (const m of mails) {
      const status = m.dropped ? 'dropped' : m.status;
      byStatus[status] = (byStatus[status] ?? 0) + 1;
    }
    const where = deskWhere(config);
    const { byTenant: problems, elsewhere } = await openProblems(redis.client, config.redis.prefix, where);
    const total = [...problems.values()].reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
    const quarantined = await listQuarantine(redis.client as Redis, config.redis.prefix, 1000);
    const counts = await queueCounts(queues);
    return {
      redis: redis.describe,
      mails: {
        total: mails.length,
        byStatus,
        recent: mails.slice(0, opts.recent).map((m) => ({ firstSeen: m.firstSeen, mailId: m.mailId, origin: m.origin, status: m.status, reason: m.reason })),
      },
      // a tenants file keys its tenants by id: their names beside
      openProblems: {
        total,
        byTenant: Object.fromEntries([...problems.entries()].sort()),
        names: Object.fromEntries([...tenantNames(file?.tenants ?? null)].filter(([key]) => problems.has(key))),
        ...(file?.tenants && { unknown: [...problems.keys()].filter((key) => !file.tenants!.tenants.some((t) => t.tenantId.toLowerCase() === key)).sort() }),
        atAnotherDesk: { desk: where ?? null, problems: elsewhere },
      },
      quarantined: quarantined.length,
      queues: counts,
      unworked: await unworkedQueues(queues, counts),
      skippedAsOld: await skippedAsOld(queues),
      // a mailbox message set aside is as failed as a job: nothing else would say it is waiting
      failed: [...(await listFailed(queues, 20)), ...(await listSetAside(redis.client as Redis, config.redis.prefix))].map((f) => ({ queue: f.queue, id: f.id, reason: f.reason, ...(f.about && { about: f.about }) })),
      retrying: await retrying(queues),
    };
  } finally {
    await queues.close();
    await redis.close();
  }
}

/** Tickets at another desk listed in the text form; `--json` has them all. */
const SHOWN_ELSEWHERE = 10;

function renderStatus(s: StatusReport): string[] {
  const lines = [`Redis: ${s.redis}`, `Mails: ${s.mails.total} (${formatCounts(s.mails.byStatus)})`];
  for (const m of s.mails.recent) lines.push(`  ${m.firstSeen}  ${m.mailId.slice(0, 12)}  ${m.origin.padEnd(12)} ${m.status}${m.reason ? `: ${m.reason}` : ''}`);
  // syncdesk's own record: what an agent did in the desk since shows from the tenant's next report
  lines.push(`Open problems: ${s.openProblems.total}${s.openProblems.total ? " (as the last reports left them: an agent's changes in the desk count from the next report)" : ''}`);
  for (const [tenant, counts] of Object.entries(s.openProblems.byTenant)) {
    const name = s.openProblems.names[tenant];
    const unknown = s.openProblems.unknown?.includes(tenant) ? ' (in no entry of the tenants file: no Graph lookups)' : '';
    lines.push(`  ${name ? `${name} (${tenant})` : tenant}${unknown}: ${formatCounts(counts)}`);
  }
  const elsewhere = s.openProblems.atAnotherDesk.problems;
  if (elsewhere.length) {
    // left in the old desk by a change of desk: syncdesk never writes there again, so only the admin can close them
    lines.push(`  ${elsewhere.length} of them with a ticket at another desk than this one (${s.openProblems.atAnotherDesk.desk}): close them there; a report that lists one again gives it a ticket here`);
    for (const p of elsewhere.slice(0, SHOWN_ELSEWHERE)) lines.push(`    ${p.ticketUrl}  ${p.summary}`);
    if (elsewhere.length > SHOWN_ELSEWHERE) lines.push(`    … and ${elsewhere.length - SHOWN_ELSEWHERE} more (\`syncdesk status --json\` lists them all)`);
  }
  lines.push(`Quarantined: ${s.quarantined}${s.quarantined ? ' (`syncdesk quarantine list`)' : ''}`);
  for (const [name, c] of Object.entries(s.queues)) {
    lines.push(`Queue ${name.padEnd(8)} waiting ${(c.waiting ?? 0) + (c.prioritized ?? 0)}, active ${c.active ?? 0}, delayed ${c.delayed ?? 0}, waiting-children ${c['waiting-children'] ?? 0}, completed ${c.completed ?? 0}, failed ${c.failed ?? 0}`);
  }
  for (const name of s.unworked) lines.push(unworkedLine(name));
  const skips = s.skippedAsOld;
  if (skips.problems) {
    lines.push(`Skipped as older than a report already applied: ${skips.problems} problem(s) in ${skips.reports.length} report(s) (their tickets follow the newer report, or a change made in the desk after the report's run)`);
    for (const r of skips.reports.slice(0, 5)) lines.push(`  ${r.reportId}: ${r.problems}`);
  }
  if (s.retrying.length) {
    lines.push('Retrying after a failed attempt (`syncdesk failed list` shows them once they give up):');
    for (const r of s.retrying.slice(0, 10)) lines.push(`  ${r.queue} ${r.id}${r.about ? ` (${r.about})` : ''}: attempt ${r.attempt} of ${r.of} failed: ${r.reason}`);
  }
  if (s.failed.length) {
    lines.push(`Failed jobs (newest first; \`syncdesk failed list\`):`);
    for (const f of s.failed.slice(0, 10)) lines.push(`  ${f.queue} ${f.id}${f.about ? ` (${f.about})` : ''}: ${f.reason}`);
  }
  return lines;
}

export async function printStatus(opts: { recent: number; json?: boolean }): Promise<void> {
  const status = await readStatus(opts);
  // tenants, reasons and failures quote mails
  process.stdout.write(opts.json ? `${JSON.stringify(status)}\n` : `${renderStatus(status).map(terminalText).join('\n')}\n`);
}
