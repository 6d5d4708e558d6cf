import type { Redis } from 'ioredis';
import type { Config } from '../../schemas/config.schema.ts';
import type { MailOrigin } from '../../schemas/jobs.schema.ts';
import type { ParseOutcome } from '../../schemas/report.schema.ts';
import type { Logger } from '../logger.ts';
import type { MailDocument } from '../parse/mail-tree.ts';
import { parseMail } from '../parse/parse-mail.ts';
import { arrivalOf } from '../parse/report-ref.ts';
import { createReplicaAck } from '../redis/replica-ack.ts';
import { decideIngest, describeDecision, duplicateReportReason, plannedLookups, withoutTaken, type DuplicateDecision, type IngestDecision, type IngestLookups, type MailOutcome, type MailStatus } from './ingest-decision.ts';
import { createLedger, type Ledger, type LedgerEntry } from './ledger.ts';
import { mailIdOf, type MailStore } from './mail-store.ts';
import type { QueuedReport, QueueReports } from './queue-reports.ts';
import { holdMail, type QuarantineEntry } from './quarantine.ts';
import { createSenderTrust, type SenderTrust } from './sender-trust.ts';
import { forwarderScope } from './forwarder-scope.ts';
import type { TenantDirectory } from '../resolve/tenants.ts';

/**
 * The one ingestion path shared by the IMAP listener, the Graph mailbox and every replay:
 * hash → decide (ledger, size, parse, trust, report ids: ingest-decision.ts) → carry the
 * decision out (store, ledger, quarantine, queue the reports' flows). A dry run
 * (`dryRun`) takes the same decision and only answers it.
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
 * by IMAP, a report forwarded twice) that reads no more of its errors. Report Message-IDs are claimed only after the
 * mail passed sender trust, so a forged mail can never pre-empt the genuine report.
 */

export type IngestStatus = MailStatus | 'dry-run';

export interface IngestResult {
  mailId: string;
  status: IngestStatus;
  /** What became of the mail (for `dry-run`: what would), as `replay` reports it. */
  decision: MailOutcome;
  reason?: string;
  /** A mail seen before (a duplicate now) that was kept unread then (`failed list`): it is still unread. */
  keptUnread?: true;
  /**
   * True when nothing more will come of reading this mail again: its reports are durably
   * queued (now or by an earlier sighting), or it is kept and recorded as rejected. The
   * signal for the listeners to mark it on the server.
   */
  handled: boolean;
  /** For `dry-run`: what a real run would have answered. */
  wouldBe?: MailStatus;
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
  /** The tenants file: its forwarders are trusted as ALLOWED_FORWARDERS are (an MSP lists each customer's there), for their own tenants' reports. */
  tenants?: TenantDirectory | null;
  /** The parser (defaults to the real one); `opened` hears the decoded documents, so sender trust need not decode the mail again. */
  parse?: (raw: Buffer, opened?: (docs: readonly MailDocument[]) => void) => Promise<ParseOutcome>;
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
  // what became of a mail must outlive a failover: each ledger write waits for a replica, where one is connected
  const ledger: Ledger = createLedger(redis, prefix, now, createReplicaAck(redis, { logger }));
  const trust =
    deps.trust ??
    createSenderTrust({
      policy: config.ingest.trustPolicy,
      allowedForwarders: [...config.ingest.allowedForwarders, ...(deps.tenants?.tenants.flatMap((t) => t.forwarders) ?? [])],
      trustedAuthServIds: config.ingest.trustedAuthServIds,
    });
  const parse = deps.parse ?? ((raw: Buffer, opened?: (docs: readonly MailDocument[]) => void) => parseMail(raw, { maxBytes: config.ingest.maxMailBytes, opened }));
  const notReportTtl = Math.max(NOT_A_REPORT_TTL_DAYS_MIN, config.ingest.retentionDays) * 86_400;
  const live: IngestLookups = {
    entry: (mailId) => ledger.get(mailId),
    reportOwner: (messageId) => ledger.findByMessageId(messageId),
    async parse(raw) {
      let documents: readonly MailDocument[] | null = null;
      const outcome = await parse(raw, (docs) => (documents = docs));
      return { outcome, documents };
    },
    trust: (raw, meta) => trust.evaluate(raw, meta),
    ...(deps.tenants && { forwarderScope: forwarderScope(deps.tenants, config.ingest.allowedForwarders) }),
  };
  // Dry runs through this ingestor (one replay) remember what they would have written.
  const planned = plannedLookups(live, now);

  const decide = (raw: Buffer, mailId: string, meta: IngestMeta, look: IngestLookups): Promise<IngestDecision> =>
    decideIngest({ raw, mailId, envelopeFrom: meta.envelopeFrom, force: meta.force, vouched: meta.vouched, maxMailBytes: config.ingest.maxMailBytes }, look);

  function answer(d: IngestDecision, handled: boolean, extra: Pick<IngestResult, 'reports'> = {}): IngestResult {
    const { outcome, status, reason, keptUnread } = describeDecision(d);
    return { mailId: d.mailId, status, decision: outcome, reason, handled, ...(keptUnread && { keptUnread }), ...('outcome' in d ? { outcome: d.outcome } : {}), ...extra };
  }

  const seenHandled = (entry: LedgerEntry): boolean => entry.status === 'queued' || entry.status === 'duplicate' || entry.status === 'rejected';

  async function plan(raw: Buffer, mailId: string, meta: IngestMeta): Promise<IngestResult> {
    const d = await decide(raw, mailId, meta, planned);
    planned.remember(d, meta.origin);
    const real = answer(d, false);
    return { ...real, status: 'dry-run', wouldBe: describeDecision(d).status };
  }

  async function duplicateOfReport(d: DuplicateDecision, log: Logger): Promise<IngestResult> {
    const reason = duplicateReportReason(d.messageId, d.ownerMailId);
    const owner = await ledger.get(d.ownerMailId);
    await ledger.update(d.mailId, { status: 'duplicate', duplicateOf: d.ownerMailId, reason });
    log.info({ action: 'ingest', code: 'duplicate_report' }, reason);
    return answer(d, owner?.status === 'queued');
  }

  /** Carries a decision out: the mail store, the ledger, the quarantine and the queues. */
  async function carryOut(d: IngestDecision, raw: Buffer, meta: IngestMeta, log: Logger): Promise<IngestResult> {
    const { mailId, entry } = d;
    if (d.step === 'seen') return answer(d, seenHandled(d.entry));
    // A crash between claim and queueing, or another ingestor (a second listener) at work on it
    // right now: this sighting finishes the job either way (every step below is idempotent).
    if (entry?.status === 'pending' && !meta.force) log.info({ action: 'ingest', code: 'pending_resumed' }, 'finishing a mail claimed but not yet queued (left by a crash, or being read by another ingestor): nothing is queued twice');

    if (d.step === 'too-large') {
      await store.put(raw, meta);
      // the admin's word (or its absence, null) is kept: `failed retry` reads the mail on it
      if (entry) await ledger.update(mailId, { status: 'rejected', reason: d.reason });
      else await ledger.claim({ mailId, status: 'rejected', origin: meta.origin, rerun: null, duplicateOf: null, reason: d.reason, vouched: meta.vouched ?? null });
      log.warn({ action: 'ingest', code: 'too_large', size: raw.length }, 'mail too large, kept truncated');
      return answer(d, true);
    }
    if (d.step === 'not-a-report') {
      if (!entry) await ledger.claim({ mailId, status: 'not-a-report', origin: meta.origin, rerun: null, duplicateOf: null, reason: d.reason, vouched: meta.vouched ?? null }, notReportTtl);
      // at info the first time: an admin whose forward "did nothing" finds why in the log
      log[entry ? 'debug' : 'info']({ action: 'ingest', code: 'not_a_report' }, d.reason);
      return answer(d, false);
    }

    await store.put(raw, meta);
    const rerun = meta.force ? now().getTime().toString(36) : (entry?.rerun ?? undefined);
    const pending = { status: 'pending' as const, origin: meta.origin, rerun: rerun ?? null, duplicateOf: null, reason: null, vouched: meta.vouched ?? null };
    if (entry) {
      await ledger.update(mailId, pending);
    } else if (!(await ledger.claim({ mailId, ...pending }))) {
      // Another ingestor claimed the same bytes a moment ago.
      const current = await ledger.get(mailId);
      if (current) return answer({ step: 'seen', mailId, entry: current }, seenHandled(current));
      return { mailId, status: 'duplicate', decision: 'duplicate', reason: 'claimed concurrently', handled: false };
    }

    if (d.step === 'quarantined') {
      const { verdict } = d;
      await ledger.update(mailId, { status: 'quarantined', reason: verdict.reason });
      const tenants = d.outcome.ok ? [...new Set(d.outcome.reports.map((r) => r.tenant.name ?? r.tenant.domain ?? r.tenant.id ?? 'unknown tenant'))] : [];
      const held: QuarantineEntry = { mailId, reason: verdict.reason, sender: verdict.sender, origin: meta.origin, at: now().toISOString(), tenants };
      await holdMail(redis, prefix, held);
      log.warn({ action: 'ingest', code: 'quarantined', sender: verdict.sender, checks: verdict.checks }, verdict.reason);
      return answer(d, false);
    }
    if (d.step === 'unreadable') {
      // unreadable or timed out: kept and shown, never silently dropped
      await ledger.update(mailId, { status: 'rejected', reason: d.reason });
      log.warn({ action: 'ingest', code: 'rejected', reason: d.reason.split(':')[0] }, `mail kept but not readable: ${d.reason}`);
      return answer(d, true);
    }
    if (d.step === 'duplicate-report') return duplicateOfReport(d, log);

    // another ingestor may have claimed one of the ids since the decision: that report is its own
    const claimed = withoutTaken(d, await ledger.claimMessageIds(mailId, d.claims));
    if (claimed.step !== 'queue') return duplicateOfReport(claimed, log);
    const reports = await deps.queueReports(claimed.reports, { mailId, receivedAt: arrivalOf(meta.origin, meta.receivedAt), envelopeFrom: meta.envelopeFrom ?? null }, rerun ? { rerun } : {});
    await ledger.update(mailId, { status: 'queued', reason: describeDecision(claimed).reason });
    log.info({ action: 'ingest', code: 'queued', reports: reports.length, trust: d.verdict.reason }, 'reports queued for resolve and ticket');
    return answer(claimed, true, { reports });
  }

  async function ingest(raw: Buffer, meta: IngestMeta): Promise<IngestResult> {
    const mailId = mailIdOf(raw);
    if (meta.dryRun) return plan(raw, mailId, meta);
    return carryOut(await decide(raw, mailId, meta, live), raw, meta, logger.child({ mailId, origin: meta.origin }));
  }

  return { ingest };
}
