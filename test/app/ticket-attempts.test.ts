import type { Job } from 'bullmq';
import { describe, expect, it } from 'vitest';
import type { TicketJob } from '../../schemas/jobs.schema.ts';
import { actionsOfEarlierAttempts, countActions, processTicketJob } from '../../src/app/processors.ts';
import { TransientError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';
import type { TicketSink } from '../../src/ticket/ticket-sink.ts';
import { syncError, ticketJob, uniqueTenant } from '../ticket/builders.ts';
import { useFileDesk } from '../ticket/file-desk-stage.ts';

/**
 * A chunk that fails half-way has created tickets; its next attempt finds them "unchanged".
 * What a chunk did is what its attempts did together (blind32 V5: a replay counted a retried
 * chunk's new tickets as unchanged, and a chunk that failed for good as nothing). The job is
 * BullMQ's shape (progress kept across attempts), the stage the real one on the file desk.
 */
describe('a ticket chunk over its attempts', () => {
  const desk = useFileDesk({ resolveAfterMissing: 0 });

  /** A job as a worker holds it: its progress outlives an attempt, its lookups are done (no children: all unresolved). */
  function chunkJob(data: TicketJob): Job & { progress: unknown } {
    const job = {
      data,
      progress: 0 as unknown,
      async updateProgress(p: unknown) {
        job.progress = p;
      },
      getChildrenValues: async () => ({}),
      getIgnoredChildrenFailures: async () => ({}),
    };
    return job as unknown as Job & { progress: unknown };
  }

  it('counts the tickets a failed attempt created as created, on the attempt that succeeds and on a chunk that fails for good', async () => {
    let down = true;
    const flaky: TicketSink = {
      ...desk.sink(),
      create: async (draft, options) => {
        if (down && draft.summary.includes('carol@contoso.com')) throw new TransientError('desk: 503', 'desk_unavailable');
        return desk.sink().create(draft, options);
      },
    };
    const applier = desk.applierFor(flaky);
    const errors = ['ann@contoso.com', 'bob@contoso.com', 'carol@contoso.com'].map((value) => syncError({ value }));
    const job = chunkJob({ ...ticketJob(uniqueTenant(), 1, errors), kind: 'chunk' } as TicketJob);
    const log = createLogger({ level: 'silent' });

    await expect(processTicketJob(job, job.data as TicketJob, applier, log)).rejects.toThrow('desk: 503');
    // a chunk that fails for good: what its attempts did is in the job
    expect(countActions(actionsOfEarlierAttempts(job))).toEqual({ create: 2 });

    down = false;
    const result = await processTicketJob(job, job.data as TicketJob, applier, log);
    expect(countActions(result.actions)).toEqual({ create: 3 });
    expect(result.actions.map((a) => a.ticketId).filter(Boolean)).toHaveLength(3);
  });
});
