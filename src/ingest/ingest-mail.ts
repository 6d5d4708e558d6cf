import type { Redis } from 'ioredis';
import type { Config } from '../../schemas/config.schema.ts';
import type { ParseJob } from '../../schemas/jobs.schema.ts';
import type { ParseOutcome } from '../../schemas/report.schema.ts';
import type { Logger } from '../logger.ts';
import { parseMail } from '../parse/parse-mail.ts';
import { createLedger, type Ledger, type LedgerEntry } from './ledger.ts';
import { mailIdOf, type MailStore } from './mail-store.ts';
import { createSenderTrust, quarantineKey, type QuarantineEntry, type SenderTrust } from './sender-trust.ts';

/**
 * The one ingestion path shared by the IMAP listener and every replay:
 * hash → ledger → is it a report? → store → trust → enqueue.
 *
 * Which mails are reports is decided here, by calling the parser, and not later in the
 * parse worker: the listener must know *before* it marks a message on the server, and a
 * mail that is not a report must stay untouched there (no keyword, no move) and never
 * reach a queue. Non-reports are not stored (they may be anyone's private mail); only
 * their hash is remembered for `retentionDays`, so sweeps do not parse them again.
 * The parse worker parses the stored bytes again; reports are small, this is cheap.
 *
 * A mail the parser cannot read (unreadable, timeout) *may* be a report: it is stored and
 * queued like one, and the parse worker fails it permanently with its reason, where
 * `syncdesk failed list|retry` shows it. A mail over `ingest.maxMailBytes` is stored
 * truncated, status `rejected`, never queued.
 *
 * Duplicates: the same bytes (ledger, SET NX on the sha256), or the same report
 * Message-ID carried by another mail (a replay of the original .eml of a mail that came
 * by IMAP, a report forwarded twice). Report Message-IDs are claimed only after the
 * mail passed sender trust, so a forged mail can never pre-empt the genuine report.
 */

export type IngestStatus = 'queued' | 'duplicate' | 'quarantined' | 'not-a-report' | 'rejected' | 'dry-run';

export interface IngestResult {
  mailId: string;
  status: IngestStatus;
  reason?: string;
  /**
   * True when this mail's parse job is durably queued (now or by an earlier sighting):
   * the signal for the IMAP listener to mark it on the server.
   */
  handled: boolean;
  /** For `dry-run`: what a real run would have answered. */
  wouldBe?: Exclude<IngestStatus, 'dry-run'>;
  /** For `dry-run`, and whenever the parser ran: its outcome. */
  outcome?: ParseOutcome;
}

export interface IngestMeta {
  origin: ParseJob['origin'];
  receivedAt: Date;
  envelopeFrom?: string;
  /** Re-queue a mail already ingested (new job id suffix), skipping the duplicate checks. Sender trust still applies. */
  force?: boolean;
  /** Answer what would happen; change nothing (no ledger, no store, no queue). */
  dryRun?: boolean;
}

export interface IngestorDeps {
  redis: Redis;
  store: MailStore;
  /**
   * Adds the parse job. Must use `opts.jobId` as the BullMQ job id (it is the mailId, or
   * the mailId plus a suffix for `force`), so re-adding the same mail is a no-op.
   */
  enqueueParse: (job: ParseJob, opts: { jobId: string }) => Promise<void>;
  config: Config;
  logger: Logger;
  trust?: SenderTrust;
  /** The parser (defaults to the real one). */
  parse?: (raw: Buffer) => Promise<ParseOutcome>;
  now?: () => Date;
}

export interface Ingestor {
  ingest(raw: Buffer, meta: IngestMeta): Promise<IngestResult>;
}

const NOT_A_REPORT_TTL_DAYS_MIN = 1;

export function createIngestor(deps: IngestorDeps): Ingestor {
  const { redis, store, config, logger } = deps;
  const prefix = config.redis.prefix;
  const now = deps.now ?? (() => new Date());
  const ledger: Ledger = createLedger(redis, prefix, now);
  const trust =
    deps.trust ??
    createSenderTrust({
      policy: config.ingest.trustPolicy,
      allowedForwarders: config.ingest.allowedForwarders,
      trustedAuthServIds: config.ingest.trustedAuthServIds,
    });
  const parse = deps.parse ?? ((raw: Buffer) => parseMail(raw, { maxBytes: config.ingest.maxMailBytes }));
  const notReportTtl = Math.max(NOT_A_REPORT_TTL_DAYS_MIN, config.ingest.retentionDays) * 86_400;

  const reportIds = (outcome: ParseOutcome): string[] =>
    outcome.ok ? [...new Set(outcome.reports.map((r) => r.messageId).filter((m): m is string => !!m))] : [];

  function duplicateResult(mailId: string, entry: LedgerEntry): IngestResult {
    if (entry.status === 'not-a-report')
      return { mailId, status: 'not-a-report', reason: entry.reason ?? 'not a report (seen before)', handled: false };
    const of = entry.duplicateOf ? ` of ${entry.duplicateOf}` : '';
    return {
      mailId,
      status: 'duplicate',
      reason: `already ingested${of} on ${entry.firstSeen} (${entry.status})`,
      handled: entry.status === 'queued' || entry.status === 'duplicate',
    };
  }

  async function enqueue(mailId: string, meta: IngestMeta, jobId: string, rerun?: string): Promise<void> {
    await deps.enqueueParse(
      { mailId, origin: meta.origin, receivedAt: meta.receivedAt.toISOString(), envelopeFrom: meta.envelopeFrom ?? null, ...(rerun ? { rerun } : {}) },
      { jobId },
    );
  }

  async function dryRun(raw: Buffer, mailId: string, meta: IngestMeta): Promise<IngestResult> {
    const answer = (wouldBe: IngestResult['wouldBe'], reason: string, outcome?: ParseOutcome): IngestResult => ({
      mailId,
      status: 'dry-run',
      wouldBe,
      reason,
      handled: false,
      ...(outcome ? { outcome } : {}),
    });
    const entry = meta.force ? null : await ledger.get(mailId);
    if (entry && entry.status !== 'pending') {
      const d = duplicateResult(mailId, entry);
      return answer(d.status as IngestResult['wouldBe'], d.reason ?? '');
    }
    if (raw.length > config.ingest.maxMailBytes) return answer('rejected', `too-large: ${raw.length} bytes`);
    const outcome = await parse(raw);
    if (!outcome.ok && outcome.rejection.reason === 'not-a-report') return answer('not-a-report', outcome.rejection.detail, outcome);
    const verdict = await trust.evaluate(raw, { envelopeFrom: meta.envelopeFrom ?? null });
    if (!verdict.trusted) return answer('quarantined', verdict.reason, outcome);
    if (!meta.force)
      for (const id of reportIds(outcome)) {
        const owner = await ledger.findByMessageId(id);
        if (owner && owner !== mailId) return answer('duplicate', `report ${id} already ingested as ${owner}`, outcome);
      }
    return answer('queued', verdict.reason, outcome);
  }

  async function ingest(raw: Buffer, meta: IngestMeta): Promise<IngestResult> {
    const mailId = mailIdOf(raw);
    const log = logger.child({ mailId, origin: meta.origin });
    if (meta.dryRun) return dryRun(raw, mailId, meta);

    const existing = await ledger.get(mailId);
    if (existing && !meta.force) {
      if (existing.status !== 'pending') return duplicateResult(mailId, existing);
      // A crash between claim and enqueue: finish the job instead of losing the mail.
      log.warn({ action: 'ingest', code: 'pending_resumed' }, 'resuming a mail claimed but not queued');
      // status before the job: a fast worker's `parsed`/`rejected` must not be overwritten
      await store.setStatus(mailId, 'queued').catch(() => undefined);
      await enqueue(mailId, meta, existing.jobId ?? mailId);
      await ledger.update(mailId, { status: 'queued' });
      return { mailId, status: 'queued', reason: 'resumed a mail claimed earlier but not queued', handled: true };
    }

    if (raw.length > config.ingest.maxMailBytes) {
      const { record } = await store.put(raw, meta);
      await ledger.claim({ mailId, status: 'rejected', origin: meta.origin, jobId: null, duplicateOf: null, reason: record.reason });
      log.warn({ action: 'ingest', code: 'too_large', size: raw.length }, 'mail too large, kept truncated');
      return { mailId, status: 'rejected', reason: record.reason ?? 'too-large', handled: false };
    }

    const outcome = await parse(raw);
    if (!outcome.ok && outcome.rejection.reason === 'not-a-report') {
      if (!existing)
        await ledger.claim(
          { mailId, status: 'not-a-report', origin: meta.origin, jobId: null, duplicateOf: null, reason: outcome.rejection.detail },
          notReportTtl,
        );
      log.debug({ action: 'ingest', code: 'not_a_report' }, outcome.rejection.detail);
      return { mailId, status: 'not-a-report', reason: outcome.rejection.detail, handled: false, outcome };
    }

    await store.put(raw, meta);
    const rerun = meta.force ? now().getTime().toString(36) : undefined;
    const jobId = rerun ? `${mailId}-r${rerun}` : mailId;
    if (existing) {
      await ledger.update(mailId, { status: 'pending', jobId, origin: meta.origin, duplicateOf: null, reason: null });
    } else if (!(await ledger.claim({ mailId, status: 'pending', origin: meta.origin, jobId, duplicateOf: null, reason: null }))) {
      // Another ingestor claimed the same bytes a moment ago.
      const entry = await ledger.get(mailId);
      return entry ? duplicateResult(mailId, entry) : { mailId, status: 'duplicate', reason: 'claimed concurrently', handled: false };
    }

    const verdict = await trust.evaluate(raw, { envelopeFrom: meta.envelopeFrom ?? null });
    if (!verdict.trusted) {
      await store.setStatus(mailId, 'quarantined', verdict.reason);
      await ledger.update(mailId, { status: 'quarantined', reason: verdict.reason });
      const entry: QuarantineEntry = { mailId, reason: verdict.reason, sender: verdict.sender, origin: meta.origin, at: now().toISOString() };
      await redis.lpush(quarantineKey(prefix), JSON.stringify(entry));
      log.warn({ action: 'ingest', code: 'quarantined', sender: verdict.sender, checks: verdict.checks }, verdict.reason);
      return { mailId, status: 'quarantined', reason: verdict.reason, handled: false, outcome };
    }

    if (!meta.force) {
      const clash = await ledger.claimMessageIds(mailId, reportIds(outcome));
      if (clash) {
        const reason = `report ${clash.messageId} already ingested as ${clash.ownerMailId}`;
        const owner = await ledger.get(clash.ownerMailId);
        await ledger.update(mailId, { status: 'duplicate', duplicateOf: clash.ownerMailId, reason });
        await store.setStatus(mailId, 'rejected', `duplicate: ${reason}`);
        log.info({ action: 'ingest', code: 'duplicate_report' }, reason);
        return { mailId, status: 'duplicate', reason, handled: owner?.status === 'queued', outcome };
      }
    }

    // The stored status says `queued` before the job exists: once it does, a worker may
    // finish it at once and record `parsed` or `rejected`, which must stay.
    await store.setStatus(mailId, 'queued', null);
    await enqueue(mailId, meta, jobId, rerun);
    await ledger.update(mailId, { status: 'queued' });
    log.info({ action: 'ingest', code: 'queued', jobId, trust: verdict.reason }, 'mail queued for parsing');
    return { mailId, status: 'queued', reason: verdict.reason, handled: true, outcome };
  }

  return { ingest };
}
