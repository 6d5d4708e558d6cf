import { Job, type Queue } from 'bullmq';
import type { ReportRef } from '../../schemas/jobs.schema.ts';
import { reportStream } from '../parse/report-ref.ts';
import type { RedisClient } from '../redis/connection.ts';

/**
 * Reports of one stream are applied to tickets in the order of their runs, however many
 * workers take their jobs. Queued in order (an archive replayed to running workers, a
 * listener catching up on a month of mail), four workers would otherwise apply the newer
 * reports first and the older ones late: "old", they skip what the newer decided and create
 * what it no longer listed (151 of 176 reports skipped, 274 problems open where
 * the last report listed 45).
 *
 * Each queued report is listed under its stream with its run's time; a ticket job waits
 * (delayed, no attempt spent) while an older report of its stream is still on its way. Only
 * the ticket stage waits: lookups run at once. A report leaves the list when its close job
 * has run, when one of its ticket jobs failed for good (`failed retry` then applies it late, as
 * before), when its jobs are gone, or once it has been on its way longer than MAX_WAIT_MS: a
 * stuck report never holds its tenant's newer reports back for good.
 */

/** Past this, an older report that has not been applied is no longer waited for. */
const MAX_WAIT_MS = 6 * 60 * 60_000;
/** How long a waiting job sleeps: longer behind a longer line, never long. */
const WAIT_STEP_MS = 500;
const MAX_SLEEP_MS = 10_000;

export interface ReportOrder {
  /** A report's flow was queued; `closeJobId`: the job that ends it (close, or the digest's whole job). */
  queued(report: ReportRef, closeJobId: string): Promise<void>;
  /** How long a ticket job of this report should sleep before it looks again (0: no older report on its way). */
  waitFor(report: ReportRef): Promise<number>;
  /** The report is applied, or will not be (its flow failed for good): newer reports go on. */
  done(report: ReportRef, closeJobId: string): Promise<void>;
}

const STATES_ON_ITS_WAY = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children']);

export function createReportOrder(deps: { redis: RedisClient; prefix: string; ticketQueue: Queue; now?: () => number }): ReportOrder {
  const now = deps.now ?? Date.now;
  // beside the ticket state's keys of the stream (ticket-state.ts: `<prefix>:ticket:tenant:<stream>:…`)
  const keyOf = (report: ReportRef): string => `${deps.prefix}:ticket:tenant:${reportStream(report)}:queued`;

  /** Whether the job that ends a report is still to run, and not for too long already. */
  async function onItsWay(closeJobId: string): Promise<boolean> {
    const job = await Job.fromId(deps.ticketQueue, closeJobId);
    if (!job || now() - job.timestamp > MAX_WAIT_MS) return false;
    return STATES_ON_ITS_WAY.has(await job.getState());
  }

  return {
    async queued(report, closeJobId) {
      await deps.redis.zadd(keyOf(report), 'NX', Date.parse(report.coversAt), closeJobId);
    },
    async waitFor(report) {
      const key = keyOf(report);
      const before = `(${Date.parse(report.coversAt)}`;
      // strictly older: reports of the same run (chunks, forwards of one report) never wait for each other
      for (;;) {
        const [oldest] = await deps.redis.zrangebyscore(key, '-inf', before, 'LIMIT', 0, 1);
        if (oldest === undefined) return 0;
        if (await onItsWay(oldest)) {
          const line = await deps.redis.zcount(key, '-inf', before);
          return Math.min(MAX_SLEEP_MS, WAIT_STEP_MS * line);
        }
        // applied, gone, or stuck: no reason to wait for it any more
        await deps.redis.zrem(key, oldest);
      }
    },
    async done(report, closeJobId) {
      await deps.redis.zrem(keyOf(report), closeJobId);
    },
  };
}
