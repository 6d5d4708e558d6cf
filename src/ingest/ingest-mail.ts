import type { Redis } from 'ioredis';
import type { Config } from '../../schemas/config.schema.ts';
import type { MailOrigin } from '../../schemas/jobs.schema.ts';
import type { ParseOutcome } from '../../schemas/report.schema.ts';
import type { Logger } from '../logger.ts';
import { parseMail } from '../parse/parse-mail.ts';
import { createLedger, type Ledger, type LedgerEntry } from './ledger.ts';
import { mailIdOf, type MailStore } from './mail-store.ts';
import type { QueuedReport, QueueReports } from './queue-reports.ts';
import { createSenderTrust, quarantineKey, type QuarantineEntry, type SenderTrust, type TrustVerdict } from './sender-trust.ts';

/**
 * The one ingestion path shared by the IMAP listener, the Graph mailbox and every replay:
 * hash → ledger → parse (is it a report?) → store → trust → queue the reports' flows.
 *
 * A mail is parsed here, once: the listener must know *before* it marks a message on the
 * server whether it is a report, and the reports the parser found are queued from here
 * (one resolve → ticket flow each, ids from their content). A mail that is not a report
 * stays untouched on the server and never reaches a queue; it is not stored (it may be
 * anyone's private mail), only its hash is remembered for `retentionDays`.
 *
 * A mail the parser cannot read (unreadable, timeout) *may* be a report: it is stored,
 * recorded `rejected` with its reason in the ledger (`syncdesk status`, `failed list`,
 * `failed retry <mailId>` after a fix) and marked handled. A mail over
 * `ingest.maxMailBytes` is stored truncated, recorded `rejected` (too-large), and marked
 * handled too: it is kept and reported, and reading it again would change nothing.
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
   * True when nothing more will come of reading this mail again: its reports are durably
   * queued (now or by an earlier sighting), or it is kept and recorded as rejected. The
   * signal for the listeners to mark it on the server.
   */
  handled: boolean;
  /** For `dry-run`: what a real run would have answered. */
  wouldBe?: Exclude<IngestStatus, 'dry-run'>;
  /** For `dry-run`, and whenever the parser ran: its outcome. */
  outcome?: ParseOutcome;
  /** For `queued`: the flow of each report. */
  reports?: QueuedReport[];
}

export interface IngestMeta {
  origin: MailOrigin;
  receivedAt: Date;
  envelopeFrom?: string;
  /** Re-queue a mail already ingested (flows get ids of their own), skipping the duplicate checks. Sender trust still applies. */
  force?: boolean;
  /**
   * An admin vouches for this mail (released from quarantine, replayed from a file): sender
   * trust is not asked, for this mail alone, and this sentence is recorded as the reason.
   */
  vouched?: string;
  /** Answer what would happen; change nothing (no ledger, no store, no queue). */
  dryRun?: boolean;
}

export interface IngestorDeps {
  redis: Redis;
  store: MailStore;
  /** Queues each report's resolve → ticket flow (content-derived ids: queueing again is a no-op). */
  queueReports: QueueReports;
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
  const tooLarge = (raw: Buffer): string => `too-large: ${raw.length} bytes, more than the ${config.ingest.maxMailBytes}-byte cap (kept truncated)`;

  const judge = (raw: Buffer, meta: IngestMeta): Promise<TrustVerdict> =>
    meta.vouched
      ? Promise.resolve({ trusted: true, reason: meta.vouched, sender: null, checks: { dmarc: 'skipped', dkim: 'skipped', serverAuth: null, arc: 'skipped' } })
      : trust.evaluate(raw, { envelopeFrom: meta.envelopeFrom ?? null });

  function duplicateResult(mailId: string, entry: LedgerEntry): IngestResult {
    if (entry.status === 'not-a-report')
      return { mailId, status: 'not-a-report', reason: entry.reason ?? 'not a report (seen before)', handled: false };
    const of = entry.duplicateOf ? ` of ${entry.duplicateOf}` : '';
    return {
      mailId,
      status: 'duplicate',
      reason: `already ingested${of} on ${entry.firstSeen} (${entry.status})`,
      handled: entry.status === 'queued' || entry.status === 'duplicate' || entry.status === 'rejected',
    };
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
    if (raw.length > config.ingest.maxMailBytes) return answer('rejected', tooLarge(raw));
    const outcome = await parse(raw);
    if (!outcome.ok && outcome.rejection.reason === 'not-a-report') return answer('not-a-report', outcome.rejection.detail, outcome);
    const verdict = await judge(raw, meta);
    if (!verdict.trusted) return answer('quarantined', verdict.reason, outcome);
    if (!outcome.ok) return answer('rejected', `${outcome.rejection.reason}: ${outcome.rejection.detail}`, outcome);
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
      // A crash between claim and queueing: this sighting finishes the job (every step below is idempotent).
      log.warn({ action: 'ingest', code: 'pending_resumed' }, 'resuming a mail claimed but not queued');
    }

    if (raw.length > config.ingest.maxMailBytes) {
      await store.put(raw, meta);
      const reason = tooLarge(raw);
      if (existing) await ledger.update(mailId, { status: 'rejected', reason });
      else await ledger.claim({ mailId, status: 'rejected', origin: meta.origin, rerun: null, duplicateOf: null, reason });
      log.warn({ action: 'ingest', code: 'too_large', size: raw.length }, 'mail too large, kept truncated');
      return { mailId, status: 'rejected', reason, handled: true };
    }

    const outcome = await parse(raw);
    if (!outcome.ok && outcome.rejection.reason === 'not-a-report') {
      if (!existing)
        await ledger.claim(
          { mailId, status: 'not-a-report', origin: meta.origin, rerun: null, duplicateOf: null, reason: outcome.rejection.detail },
          notReportTtl,
        );
      log.debug({ action: 'ingest', code: 'not_a_report' }, outcome.rejection.detail);
      return { mailId, status: 'not-a-report', reason: outcome.rejection.detail, handled: false, outcome };
    }

    await store.put(raw, meta);
    const rerun = meta.force ? now().getTime().toString(36) : (existing?.rerun ?? undefined);
    const pending = { status: 'pending' as const, origin: meta.origin, rerun: rerun ?? null, duplicateOf: null, reason: null };
    if (existing) {
      await ledger.update(mailId, pending);
    } else if (!(await ledger.claim({ mailId, ...pending }))) {
      // Another ingestor claimed the same bytes a moment ago.
      const entry = await ledger.get(mailId);
      return entry ? duplicateResult(mailId, entry) : { mailId, status: 'duplicate', reason: 'claimed concurrently', handled: false };
    }

    const verdict = await judge(raw, meta);
    if (!verdict.trusted) {
      await ledger.update(mailId, { status: 'quarantined', reason: verdict.reason });
      const entry: QuarantineEntry = { mailId, reason: verdict.reason, sender: verdict.sender, origin: meta.origin, at: now().toISOString() };
      await redis.lpush(quarantineKey(prefix), JSON.stringify(entry));
      log.warn({ action: 'ingest', code: 'quarantined', sender: verdict.sender, checks: verdict.checks }, verdict.reason);
      return { mailId, status: 'quarantined', reason: verdict.reason, handled: false, outcome };
    }

    if (!outcome.ok) {
      // unreadable or timed out: kept and shown, never silently dropped
      const reason = `${outcome.rejection.reason}: ${outcome.rejection.detail}`;
      await ledger.update(mailId, { status: 'rejected', reason });
      log.warn({ action: 'ingest', code: 'rejected', reason: outcome.rejection.reason }, `mail kept but not readable: ${outcome.rejection.detail}`);
      return { mailId, status: 'rejected', reason, handled: true, outcome };
    }

    if (!meta.force) {
      const clash = await ledger.claimMessageIds(mailId, reportIds(outcome));
      if (clash) {
        const reason = `report ${clash.messageId} already ingested as ${clash.ownerMailId}`;
        const owner = await ledger.get(clash.ownerMailId);
        await ledger.update(mailId, { status: 'duplicate', duplicateOf: clash.ownerMailId, reason });
        log.info({ action: 'ingest', code: 'duplicate_report' }, reason);
        return { mailId, status: 'duplicate', reason, handled: owner?.status === 'queued', outcome };
      }
    }

    const reports = await deps.queueReports(
      outcome.reports,
      { mailId, receivedAt: meta.receivedAt, envelopeFrom: meta.envelopeFrom ?? null },
      rerun ? { rerun } : {},
    );
    await ledger.update(mailId, { status: 'queued', reason: verdict.reason });
    log.info({ action: 'ingest', code: 'queued', reports: reports.length, trust: verdict.reason }, 'reports queued for resolve and ticket');
    return { mailId, status: 'queued', reason: verdict.reason, handled: true, outcome, reports };
  }

  return { ingest };
}
