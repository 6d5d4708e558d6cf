import type { Job, Worker } from 'bullmq';
import { isFinalFailure } from './run-worker.ts';
import type { TicketJob } from '../../schemas/jobs.schema.ts';
import { countActions, type TicketJobResult } from './processors.ts';

/**
 * Watches in-process workers and tallies what they did, for the summaries of `demo`,
 * `replay --wait` and `quarantine release`: reports, errors by category, ticket actions, failures. (What became of
 * each mail is the ingestor's answer, which the commands count themselves.)
 */
export interface SessionTally {
  reports: number;
  errorsByCategory: Record<string, number>;
  ticketActions: Record<string, number>;
  tenants: Set<string>;
  failed: Array<{ queue: string; jobId: string; reason: string }>;
}

export function watchWorkers(workers: Worker[]): SessionTally {
  const tally: SessionTally = {
    reports: 0,
    errorsByCategory: {},
    ticketActions: {},
    tenants: new Set(),
    failed: [],
  };
  for (const worker of workers) {
    worker.on('completed', (job: Job, result: unknown) => {
      if (worker.name !== 'ticket') return;
      const data = job.data as TicketJob;
      const r = result as TicketJobResult;
      // a report's errors are on its chunks (or its whole job), its end on its close (or whole job)
      if (data.kind !== 'close') for (const e of data.errors) tally.errorsByCategory[e.category] = (tally.errorsByCategory[e.category] ?? 0) + 1;
      if (data.kind !== 'chunk') {
        tally.reports++;
        tally.tenants.add(data.report.tenantKey);
      }
      countActions(r.actions, tally.ticketActions);
    });
    worker.on('failed', (job: Job | undefined, err: Error) => {
      if (!job) return;
      const final = isFinalFailure(job, err);
      if (final) tally.failed.push({ queue: worker.name, jobId: String(job.id), reason: err.message });
    });
  }
  return tally;
}
