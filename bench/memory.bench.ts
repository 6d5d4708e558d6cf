import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bigReport } from '../test/pipeline/big-report.ts';
import { benchMailbox, peakRssMb, rssMb, sleep, startServices, startSyncdesk, stopSyncdesk, until } from './harness.ts';

/**
 * Memory of one process on a big report: `syncdesk start` (IMAP listener and every worker,
 * concurrency 2) with the file sink and no Graph, one report mail of N errors appended to a
 * real Dovecot. Measured: peak RSS of the process (VmHWM), its RSS once started (before the
 * mail), the first ticket and the last after the APPEND. Goals: ≤ 300 MB at 10,000 errors
 * (#19), ≤ 400 MB at 20,000 (#16).
 *
 *   BENCH=memory npm run bench                          (10,000 and 20,000 errors)
 *   BENCH=memory BENCH_MEMORY_SIZES=2000 npm run bench  (a quick look)
 */

type Row = Record<string, unknown>;

/** Tickets the file sink has written (one JSON file each). */
function ticketCount(dir: string): number {
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).length : 0;
}

export async function runMemoryBench(): Promise<Row[]> {
  const sizes = (process.env.BENCH_MEMORY_SIZES ?? '10000,20000').split(',').map(Number);
  const services = await startServices();
  const rows: Row[] = [];
  let stop: (() => Promise<void>) | undefined;
  try {
    for (const n of sizes) {
      const mailbox = `memory-${n}-${randomUUID().slice(0, 6)}`;
      const ticketDir = join(services.stateDir, `tickets-${n}`);
      const { admin, env } = await benchMailbox(services, mailbox);
      const syncdesk = await startSyncdesk({ ...process.env, ...env, TICKET_SINK: 'file', TICKET_DIR: ticketDir });
      const c = syncdesk.child;
      stop = () => stopSyncdesk(c);
      await sleep(2_000); // the listener logs in and opens the mailbox
      const idle = rssMb(c.pid!);
      const raw = bigReport(n, { tenant: `Memory ${n} ${randomUUID().slice(0, 6)}` });
      const appendedAt = Date.now();
      await admin.append(mailbox, raw);
      await admin.logout();
      let firstAt: number | undefined;
      await until(`${n} tickets`, () => {
        syncdesk.alive();
        const count = ticketCount(ticketDir);
        if (count && firstAt === undefined) firstAt = Date.now();
        if (firstAt === undefined && Date.now() - appendedAt > 120_000) throw new Error(`no ticket 120 s after the append:\n${syncdesk.output().slice(-3000)}`);
        return count >= n;
      }, n * 200 + 300_000);
      const seconds = (Date.now() - appendedAt) / 1000;
      await sleep(1_000);
      rows.push({
        errors: n,
        'mail MB': Number((raw.length / 1048576).toFixed(1)),
        tickets: ticketCount(ticketDir),
        seconds: Number(seconds.toFixed(1)),
        'first ticket s': Number((((firstAt ?? Date.now()) - appendedAt) / 1000).toFixed(1)),
        'idle RSS MB': idle,
        'peak RSS MB': peakRssMb(c.pid!),
        goal: n <= 10_000 ? '≤ 300 MB' : '≤ 400 MB',
      });
      await stop();
      stop = undefined;
      process.stderr.write(`memory bench: ${n} errors done in ${seconds.toFixed(1)} s\n`);
    }
    return rows.map((r) => ({ ...r, process: 'syncdesk start (file sink, no Graph)' }));
  } finally {
    await stop?.();
    await services.stop();
  }
}
