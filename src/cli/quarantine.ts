import type { Redis } from 'ioredis';
import type { Worker } from 'bullmq';
import { findQuarantined, forgetHeld, listQuarantine, listReleased, recordRelease } from '../ingest/quarantine.ts';
import { adminName, cliConfig, cliLogger, formatCounts, writeRows } from '../app/cli-support.ts';
import { waitForDrain } from '../app/queue-drain.ts';
import { openRuntime } from '../app/runtime.ts';
import { watchWorkers } from '../app/worker-tally.ts';
import { DRAINED_CLOSE_GRACE_MS, startWorkers, stopWorkers } from '../app/workers.ts';
import { createLedger } from '../ingest/ledger.ts';
import { createMailStore, type StoredMail } from '../ingest/mail-store.ts';
import { openRedis } from '../redis/connection.ts';
import { terminalText } from '../terminal-text.ts';
import { oneReportAtATime } from './replay-flow.ts';
import { earliestRun } from './replay-order.ts';
import { arrivalOf } from '../parse/report-ref.ts';

/** What `syncdesk quarantine list|release|drop` does (loaded when it runs; see quarantine-command.ts). */

/** Held mails, newest first, then the ones released (the quarantine's history). */
export async function listQuarantined(opts: { json?: boolean; limit: number }): Promise<void> {
  const config = cliConfig();
  const redis = await openRedis(config, cliLogger(config));
  try {
    const client = redis.client as Redis;
    const held = (await listQuarantine(client, config.redis.prefix, opts.limit)).map((e) => ({ ...e, status: 'held' as const }));
    const released = (await listReleased(client, config.redis.prefix, opts.limit)).map((e) => ({ ...e, status: 'released' as const }));
    writeRows([...held, ...released], {
      json: opts.json,
      empty: 'no quarantined mails',
      // the sender, the tenants and the reason come from the mail
      line: (r) =>
        terminalText(`${r.at}\t${r.mailId.slice(0, 12)}\t${r.sender ?? '-'}\t${r.tenants?.join(', ') || '-'}\t${r.origin}\t${r.status === 'released' ? `released by ${r.released.by} on ${r.released.at}; held because: ` : ''}${r.reason}`),
      footer: () => `${held.length} held, ${released.length} released; to accept a held mail after checking it: \`syncdesk quarantine release <mailId>\`; to reject it: \`syncdesk quarantine drop <mailId>\``,
    });
  } finally {
    await redis.close();
  }
}

/**
 * Releases held mails: each is ingested again from the mail store with sender trust
 * skipped for it alone (the admin vouches for it: who and when become the ledger entry's
 * reason), then taken off the quarantine and kept in its history. With no worker running
 * elsewhere, its reports are worked here until the queues are empty, so it gets its tickets.
 * Several are released in the order of the runs they cover.
 * Exit 1 when the id names no held mail or a mail is no longer in the store.
 */
export async function releaseQuarantined(target: { mailId?: string; all?: boolean; by?: string }): Promise<number> {
  const config = cliConfig();
  const logger = cliLogger(config);
  const runtime = await openRuntime(config, logger);
  const print = (line: string) => process.stdout.write(`${line}\n`);
  let workers: Worker[] = [];
  try {
    const redis = runtime.redis.client as Redis;
    const held = await findQuarantined(redis, config.redis.prefix, target);
    if (!held.length) {
      if (target.all) {
        print('no quarantined mails');
        return 0;
      }
      process.stderr.write(`syncdesk quarantine release: no quarantined mail with id ${target.mailId}; see \`syncdesk quarantine list\`\n`);
      return 1;
    }
    const by = adminName(target.by);
    const others = await runtime.queues.ticket.getWorkersCount();
    if (others === 0) workers = startWorkers(runtime, ['resolve', 'ticket'], { concurrency: 4 });
    const tally = watchWorkers(workers);
    let missing = 0;
    const stored: Array<{ entry: (typeof held)[number]; mail: StoredMail; run: number }> = [];
    for (const entry of held) {
      const mail = await runtime.store.get(entry.mailId);
      if (!mail) {
        missing++;
        process.stderr.write(`${entry.mailId}: no longer in the mail store (${config.ingest.storeDir}, kept ${config.ingest.retentionDays} days): left in quarantine\n`);
        continue;
      }
      stored.push({ entry, mail, run: await earliestRun(mail.raw, arrivalOf(mail.origin, new Date(mail.receivedAt)), config.ingest.maxMailBytes) });
    }
    // held mails of one tenant (months of reports from a sender trust did not know) are applied
    // as their runs happened, one report at a time when worked here, as a replay does: released
    // newest first, or two at once, the older report would count as old and leave its problems open
    const ingestor = runtime.ingestor(workers.length ? oneReportAtATime(runtime) : undefined);
    for (const { entry, mail } of stored.sort((a, b) => a.run - b.run)) {
      const at = new Date().toISOString();
      const result = await ingestor.ingest(mail.raw, {
        origin: mail.origin,
        receivedAt: new Date(mail.receivedAt),
        envelopeFrom: mail.envelopeFrom ?? undefined,
        force: true,
        vouched: `released from quarantine by ${by} on ${at} (held because: ${entry.reason})`,
      });
      await recordRelease(redis, config.redis.prefix, { ...entry, released: { by, at } });
      logger.warn({ action: 'quarantine-release', mailId: entry.mailId, by, status: result.status }, 'quarantined mail released by an admin');
      print(terminalText(`${entry.mailId}: released by ${by}: ${result.status}${result.status === 'queued' ? '' : ` (${result.reason ?? ''})`}`));
    }
    if (!workers.length) {
      print(`queued for the running workers (${others}); follow with \`syncdesk status\``);
      return missing ? 1 : 0;
    }
    const drained = await waitForDrain(runtime.queues);
    print(`reports: ${tally.reports}; tickets: ${formatCounts(tally.ticketActions)}`);
    if (tally.failed.length) print(`failed jobs: ${tally.failed.length}; see \`syncdesk failed list\``);
    return missing || !drained || tally.failed.length ? 1 : 0;
  } finally {
    if (workers.length) await stopWorkers(workers, runtime, { graceMs: DRAINED_CLOSE_GRACE_MS });
    else await runtime.close();
  }
}

/**
 * Drops held mails an admin rejects: off the quarantine and out of the mail store, with no
 * history kept (a forged or misdirected mail names people who have nothing to do with
 * syncdesk). Its ledger entry keeps only that it was dropped, by whom and when, not why it
 * was held (the sender's address): the same mail arriving again is known, not ticketed.
 * Exit 1 when the id names no held mail.
 */
export async function dropQuarantined(target: { mailId?: string; all?: boolean; by?: string }): Promise<number> {
  const config = cliConfig();
  const redis = await openRedis(config, cliLogger(config));
  try {
    const client = redis.client as Redis;
    const held = await findQuarantined(client, config.redis.prefix, target);
    if (!held.length && !target.all) {
      process.stderr.write(`syncdesk quarantine drop: no quarantined mail with id ${target.mailId}; see \`syncdesk quarantine list\`\n`);
      return 1;
    }
    const store = createMailStore({ dir: config.ingest.storeDir, maxMailBytes: config.ingest.maxMailBytes, retentionDays: config.ingest.retentionDays });
    await forgetHeld(client, config.redis.prefix, new Set(held.map((e) => e.mailId)));
    const dropped = { by: adminName(target.by), at: new Date().toISOString() };
    const ledger = createLedger(client, config.redis.prefix);
    for (const { mailId } of held) {
      if (await ledger.get(mailId)) await ledger.update(mailId, { dropped, reason: `dropped from quarantine by ${dropped.by} on ${dropped.at}` });
      const removed = await store.remove(mailId);
      process.stdout.write(`${mailId}: dropped${removed ? ', and removed from the mail store' : ' (no longer in the mail store)'}\n`);
    }
    if (!held.length) process.stdout.write('no quarantined mails\n');
    return 0;
  } finally {
    await redis.close();
  }
}
