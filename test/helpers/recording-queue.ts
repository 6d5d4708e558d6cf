import type { QueueReports } from '../../src/ingest/queue-reports.ts';
import type { ReportContext } from '../../src/parse/report-ref.ts';

export interface RecordingQueue {
  queueReports: QueueReports;
  /**
   * The flows queued, by mail (a forced re-run as `<mailId>-r<rerun>`): adding the same
   * again is dropped, as BullMQ drops a job id it already has.
   */
  flows: Map<string, ReportContext>;
  /** Every call, duplicates included. */
  adds: number;
}

/** A stand-in for the report queues, for tests whose subject is a mail source, not the queues. */
export function recordingQueue(): RecordingQueue {
  const rec: RecordingQueue = { flows: new Map(), adds: 0, queueReports: async () => [] };
  rec.queueReports = async (reports, ctx, options = {}) => {
    const key = `${ctx.mailId}${options.rerun ? `-r${options.rerun}` : ''}`;
    rec.adds++;
    const added = !rec.flows.has(key);
    if (added) rec.flows.set(key, ctx);
    return reports.map((r) => ({ reportId: r.messageId ?? key, ticketJobId: key, errors: r.errors.length, added }));
  };
  return rec;
}
