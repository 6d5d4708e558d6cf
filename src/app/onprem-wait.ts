import { randomUUID } from 'node:crypto';
import { UnrecoverableError, Worker, type Job, type Queue } from 'bullmq';
import type { Logger } from '../logger.ts';
import { onPremForestOf } from '../queues.ts';
import type { RedisClient } from '../redis/connection.ts';

/**
 * A bound on how long a report waits for its on-premises reads. Nobody may ever take them:
 * a customer's worker host is down, or a forest named in the tenants file has no worker yet.
 * Past the bound, with no worker connected to its queue, such a job fails for good with the
 * reason, as an unreachable DC does: its resolve job (which ignores that failure) goes on,
 * the tickets carry the cloud side and say why AD is missing, and `failed retry` reads AD
 * again once the worker is back.
 *
 * Run beside the resolve workers, which are the ones waiting. A waiting job can only be
 * failed by whoever holds it, so a stale one is taken as a worker takes it (a worker of no
 * processor, opened for that moment and closed again, so `status` does not take it for the
 * queue's real worker).
 */

const NO_WORKER_CODE = 'onprem_no_worker';

export interface OnPremWaitBound {
  /** One pass over the queues (the timer runs it; tests call it directly). */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

export function startOnPremWaitBound(deps: {
  queues: Queue[];
  connection: RedisClient;
  prefix: string;
  waitMs: number;
  logger: Logger;
  /** How often to look; by default a quarter of the bound, between 1 s and 60 s. */
  everyMs?: number;
}): OnPremWaitBound {
  const { waitMs, logger } = deps;
  const stale = (job: Job): boolean => Date.now() - job.timestamp >= waitMs;
  const bound = waitMs < 120_000 ? `${Math.round(waitMs / 1000)} s` : `${Math.round(waitMs / 60_000)} min`;
  let running: Promise<number> | null = null;

  async function failStale(queue: Queue): Promise<number> {
    const waiting = await queue.getWaiting(0, 999);
    if (!waiting.some((j) => j && stale(j))) return 0;
    // a worker that is there but busy (a report of 50,000 errors) is not waited on in vain; a
    // Redis that refuses CLIENT LIST cannot tell, and then the age alone decides
    if ((await queue.getWorkersCount().catch(() => 0)) > 0) return 0;
    const taker = new Worker(queue.name, null, { connection: deps.connection, prefix: deps.prefix, autorun: false });
    taker.on('error', () => undefined);
    const token = randomUUID();
    let failed = 0;
    try {
      // the queue is first in, first out: the stale jobs come first
      for (let job = await taker.getNextJob(token, { block: false }); job; job = await taker.getNextJob(token, { block: false })) {
        if (!stale(job)) {
          await job.moveToDelayed(Date.now(), token); // back in line: it has time left
          break;
        }
        const forest = onPremForestOf(queue.name);
        const reason = `no on-premises worker took this lookup within ${bound} (queue ${queue.name}): start \`syncdesk worker --queues onprem\` where the DC is reachable${forest ? ` with ONPREM_FOREST=${forest}` : ''}, then \`syncdesk failed retry\``;
        await job.moveToFailed(new UnrecoverableError(`[${NO_WORKER_CODE}] ${reason}`), token, false);
        logger.warn({ action: 'onprem-wait-exceeded', queue: queue.name, job: job.id, reportId: (job.data as { report?: { reportId?: string } }).report?.reportId }, `no on-premises worker took ${job.id} within ${bound}: its tickets go out without AD`);
        failed++;
      }
    } finally {
      await taker.close();
    }
    return failed;
  }

  async function sweep(): Promise<number> {
    let failed = 0;
    for (const queue of deps.queues) failed += await failStale(queue);
    return failed;
  }

  const everyMs = deps.everyMs ?? Math.min(60_000, Math.max(1_000, Math.floor(waitMs / 4)));
  const timer = setInterval(() => {
    if (running) return;
    running = sweep()
      .catch((err: Error) => {
        logger.warn({ action: 'onprem-wait-check-failed', err: err.message }, 'could not check the on-premises queues for reads nobody took');
        return 0;
      })
      .finally(() => (running = null));
  }, everyMs);
  timer.unref();

  return {
    sweep,
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
