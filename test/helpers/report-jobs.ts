import type { Job, JobType } from 'bullmq';
import type { Queues } from '../../src/queues.ts';

const EVERY_STATE: JobType[] = ['waiting', 'waiting-children', 'delayed', 'active', 'completed', 'failed'];

/**
 * The reports queued, one job each: the roots of the ticket flows (a report's close, or its
 * whole job). The chunk jobs under a root carry the same report and are left out.
 */
export async function reportJobs(queues: Pick<Queues, 'ticket'>, states: JobType[] = EVERY_STATE): Promise<Job[]> {
  return (await queues.ticket.getJobs(states)).filter((j) => !j.parentKey);
}

/** Every ticket job of one report: its root and the chunks under it. */
export async function ticketJobsOf(queues: Pick<Queues, 'ticket'>, rootId: string): Promise<Job[]> {
  return (await queues.ticket.getJobs(EVERY_STATE)).filter((j) => j.id === rootId || j.parentKey?.endsWith(`:${rootId}`));
}
