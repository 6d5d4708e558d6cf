import type { Worker } from 'bullmq';
import type { Runtime } from '../app/runtime.ts';
import type { SessionTally } from '../app/worker-tally.ts';
import type { QueueReports } from '../ingest/queue-reports.ts';
import { QUEUE_NAMES } from '../queues.ts';
import { diskFix } from '../write-atomic.ts';

/** How a replay worked in the command waits on its reports' flows, and finds what failed in them. */

/**
 * Queues one report at a time and waits until its flow has run (its close job done), so the
 * reports of a replay worked here apply one after the other, as their runs happened: four
 * workers taking two reports of a tenant at once would apply the newer one's rows first and
 * the older report would count as old.
 */
export function oneReportAtATime(runtime: Runtime, halted: () => string | null = () => null): QueueReports {
  return async (reports, ctx, options) => {
    const queued = [];
    for (const report of reports) {
      const [q] = await runtime.queueReports([report], ctx, options);
      queued.push(q!);
      await flowDone(runtime, q!.ticketJobId, halted);
    }
    return queued;
  };
}

/**
 * Why the replay stops early, once an attempt of its jobs failed on a full or read-only disk
 * (TICKET_DIR, MAIL_STORE_DIR): each report would wait out its retries, minutes each, and fail
 * the same. What it queued waits in Redis for the same command run again.
 */
export function haltOnDiskTrouble(workers: Worker[]): () => string | null {
  let reason: string | null = null;
  for (const worker of workers) {
    worker.on('failed', (_job: unknown, err: Error) => {
      if (!reason && diskFix(err)) reason = err.message;
    });
  }
  return () => reason;
}

const FLOW_POLL_MS = 20;

/**
 * Until the report's close job is done, or nothing of the flow can run any more: a chunk
 * failed for good holds its close back until `failed retry` (then no job of the flow's queues
 * is waiting, running or delayed for a retry), or the replay halts. A lookup waiting for an
 * on-premises worker is waited for, as long as ONPREM_WAIT_SECONDS lets it wait.
 */
async function flowDone(runtime: Runtime, closeJobId: string, halted: () => string | null): Promise<void> {
  // the queues a report's flow runs through: all but the Graph poll's, whose next run is always delayed
  const queues = runtime.queues.names.filter((name) => name !== QUEUE_NAMES.poll).map((name) => runtime.queues.byName(name));
  while (!halted()) {
    const state = await runtime.queues.ticket.getJobState(closeJobId);
    if (state === 'completed' || state === 'failed' || state === 'unknown') return;
    let moving = 0;
    for (const queue of queues) {
      const c = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      moving += (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0);
    }
    if (!moving && state === 'waiting-children') return;
    await new Promise((r) => setTimeout(r, FLOW_POLL_MS));
  }
}

/** How many jobs each queue holds as failed for good, before the replay works its mails. */
export async function failedCounts(runtime: Runtime): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const name of runtime.queues.names) counts.set(name, (await runtime.queues.byName(name).getJobCounts('failed')).failed ?? 0);
  return counts;
}

/**
 * Jobs failed for good since `before` that the tally did not see: those no worker of this
 * process ran (an on-premises job no worker took, failed by the wait bound), newest first.
 */
export async function failedSince(runtime: Runtime, before: Map<string, number>, seen: SessionTally['failed']): Promise<SessionTally['failed']> {
  const out: SessionTally['failed'] = [];
  for (const [name, count] of await failedCounts(runtime)) {
    const grown = count - (before.get(name) ?? 0);
    if (grown <= 0) continue;
    for (const job of await runtime.queues.byName(name).getFailed(0, grown - 1)) {
      if (!seen.some((f) => f.queue === name && f.jobId === job.id)) out.push({ queue: name, jobId: String(job.id), reason: job.failedReason ?? '' });
    }
  }
  return out;
}
