import { hash } from 'node:crypto';
import type { MailOrigin } from '../../schemas/jobs.schema.ts';
import type { ParsedReport, ParseOutcome } from '../../schemas/report.schema.ts';
import { normalizeMessageId, readsMore, type LedgerEntry, type LedgerStatus, type ReportClaim, type ReportTaken } from './ledger.ts';
import type { MailDocument } from '../parse/mail-tree.ts';
import type { TrustVerdict } from './sender-trust.ts';

/**
 * What becomes of a mail, decided in one place for the ingestor and for a dry run
 * (`replay --dry-run`): the same steps in the same order, over lookups that only read.
 * The ingestor then carries the decision out (mail store, ledger, quarantine, queues); a
 * dry run only reports it. Neither has rules of its own, so they cannot drift apart.
 *
 * The steps: a mail the ledger has seen is a duplicate (or a known non-report), unless
 * `force`, or unless it was claimed but never queued (a crash: this sighting finishes it);
 * a mail over the size cap is rejected as too large, unread; a mail that is no report is
 * left alone; sender trust (or the admin who vouches for the mail) may quarantine it; a
 * report the parser could not read is rejected; a report another mail already carried (its
 * Message-ID, or the same run of the same tenant with the same errors: runCopyKey) is left out
 * (unless `force`, or unless this mail reads more errors of that report: the other copy was
 * cut off), and a mail left with no report is a duplicate; else its reports are queued.
 */

/** What became (or, in a dry run, would become) of a mail, as `replay` reports it. */
export type MailOutcome = 'new' | 'forced' | 'duplicate' | 'quarantined' | 'rejected' | 'too-large' | 'not-a-report';

/** The ledger's word for an outcome (`too-large` is recorded as `rejected`, `new` and `forced` as `queued`). */
export type MailStatus = Exclude<LedgerStatus, 'pending'>;

/** The reads a decision needs; the ingestor passes the live ones, a dry run `plannedLookups`. */
export interface IngestLookups {
  /** The mail's ledger entry; null when it was never seen. */
  entry(mailId: string): Promise<LedgerEntry | null>;
  /** The mail that carries this report Message-ID, if any, and the errors read of it there. */
  reportOwner(messageId: string): Promise<ReportClaim | null>;
  /** The parse, and the mail's decoded documents (null when it could not be decoded): sender trust reads them. */
  parse(raw: Buffer): Promise<{ outcome: ParseOutcome; documents: readonly MailDocument[] | null }>;
  trust(raw: Buffer, meta: { envelopeFrom: string | null; documents: readonly MailDocument[] | null }): Promise<TrustVerdict>;
  /** Why a trusted forwarder may not forward these reports (forwarder-scope.ts), or null; absent: every forwarder may forward any. */
  forwarderScope?(forwarder: string, reports: readonly ParsedReport[]): string | null;
}

export interface DecisionInput {
  raw: Buffer;
  mailId: string;
  envelopeFrom?: string;
  /** Run the mail again even if it was seen: no duplicate checks (sender trust still applies). */
  force?: boolean;
  /** An admin vouches for the mail: sender trust is not asked, and this is the reason recorded. */
  vouched?: string;
  maxMailBytes: number;
}

interface Common {
  mailId: string;
  /** The ledger entry as read (null: never seen), so carrying out knows whether to claim or update. */
  entry: LedgerEntry | null;
}

export type IngestDecision = Common &
  (
    | { step: 'seen'; entry: LedgerEntry }
    | { step: 'too-large'; reason: string }
    | { step: 'not-a-report'; reason: string; outcome: ParseOutcome }
    | { step: 'quarantined'; verdict: TrustVerdict; outcome: ParseOutcome }
    | { step: 'unreadable'; reason: string; outcome: ParseOutcome }
    | { step: 'duplicate-report'; messageId: string; ownerMailId: string; outcome: ParseOutcome }
    | {
        step: 'queue';
        verdict: TrustVerdict;
        outcome: ParseOutcome;
        reports: ParsedReport[];
        /** The report Message-IDs this mail takes, with the errors it reads of each (none when forced: a re-run takes nothing). */
        claims: Array<{ messageId: string; errors: number }>;
        /** `force` re-runs a mail seen before. */
        forced: boolean;
        /** A report another mail carried, of which this one reads more errors. */
        fuller?: { messageId: string; errors: number; owner: ReportClaim };
        /** Reports of this mail that another mail carried first: not queued again (a forward of two reports, one of them seen). */
        leftOut: ReportTaken[];
      }
  );

export type QueueDecision = Extract<IngestDecision, { step: 'queue' }>;
export type DuplicateDecision = Extract<IngestDecision, { step: 'duplicate-report' }>;

/** The verdict when an admin vouches for a mail: trusted, sender trust not asked. */
function vouchedVerdict(reason: string): TrustVerdict {
  return { trusted: true, reason, sender: null, checks: { dmarc: 'skipped', dkim: 'skipped', serverAuth: null, arc: 'skipped' } };
}

const RUN_COPY = 'run-copy ';

/**
 * What every copy of one report shares, whichever mail carries it: its tenant, its run (the
 * time it covers, or its tracking id, or else when Microsoft sent it) and its errors. An admin's
 * inline forward has a Message-ID of its own (the report's is gone), so without this key such a
 * copy read as a report of its own. Null when the report states no time at all:
 * two days' reports listing the same errors would then be one.
 */
export function runCopyKey(r: ParsedReport): string | null {
  const run = r.reportedAt ?? (r.trackingId ? `tracking ${r.trackingId}` : sentMinute(r));
  if (!r.errors.length || !run) return null;
  const tenant = [r.tenant.id, r.tenant.domain, r.tenant.name].map((v) => v?.trim().toLowerCase() ?? null);
  const errors = r.errors.map((e) => e.fingerprint).sort();
  // the sent minute joins the digest only where no run time or tracking id is stated: the keys the ledger keeps for those stay as they were
  const digest = hash('sha256', JSON.stringify([tenant, r.reportedAt, r.trackingId?.toLowerCase() ?? null, errors, ...(r.reportedAt || r.trackingId ? [] : [run])])).slice(0, 16);
  return `${RUN_COPY}${run}|${r.errors.length}|${digest}`;
}

/**
 * A layout that states no run (the Entra-era table with a subject without date):
 * when Microsoft sent it, to the minute, the precision of an Outlook forward header's "Sent:"
 * (the original's Date header has seconds). Two forwards read the same minute when their
 * forwarders' Date headers have the same zone (a zoneless "Sent:" is read in it).
 */
function sentMinute(r: ParsedReport): string | null {
  return r.sentAt ? `sent ${r.sentAt.slice(0, 16)}` : null;
}

/**
 * The keys a report is known by when asking whether another mail carried it: its Message-ID,
 * and for an inline forward (whose Message-ID is the forward's) its run's. A report with a
 * Message-ID of its own is never a copy by its run alone: two mails Microsoft sent are two.
 */
function claimKeysOf(r: ParsedReport): string[] {
  const run = r.inline ? runCopyKey(r) : null;
  return [...(r.messageId ? [r.messageId] : []), ...(run ? [run] : [])];
}

/**
 * Each key the mail takes, with the errors read under it (a Message-ID shared by several
 * reports: their sum), and whether another mail holding it makes the report a copy (`check`).
 * Every report takes its run's key, so an inline forward after it is known as a copy.
 */
function reportClaims(reports: ParsedReport[]): Array<{ messageId: string; errors: number; check: boolean }> {
  const claims = new Map<string, { errors: number; check: boolean }>();
  for (const r of reports) {
    if (r.messageId) claims.set(r.messageId, { errors: (claims.get(r.messageId)?.errors ?? 0) + r.errors.length, check: true });
    const run = runCopyKey(r);
    if (run) claims.set(run, { errors: r.errors.length, check: !!r.inline || !!claims.get(run)?.check });
  }
  return [...claims].map(([messageId, c]) => ({ messageId, ...c }));
}

export async function decideIngest(input: DecisionInput, look: IngestLookups): Promise<IngestDecision> {
  const { raw, mailId } = input;
  const entry = await look.entry(mailId);
  if (entry && !input.force && entry.status !== 'pending') return { step: 'seen', mailId, entry };
  if (raw.length > input.maxMailBytes) {
    return { step: 'too-large', mailId, entry, reason: `too-large: ${raw.length} bytes, more than the ${input.maxMailBytes}-byte cap (kept truncated)` };
  }
  const { outcome, documents } = await look.parse(raw);
  if (!outcome.ok && outcome.rejection.reason === 'not-a-report') return { step: 'not-a-report', mailId, entry, reason: outcome.rejection.detail, outcome };
  const verdict = withinScope(input.vouched ? vouchedVerdict(input.vouched) : await look.trust(raw, { envelopeFrom: input.envelopeFrom ?? null, documents }), outcome, look);
  if (!verdict.trusted) return { step: 'quarantined', mailId, entry, verdict, outcome };
  if (!outcome.ok) return { step: 'unreadable', mailId, entry, reason: `${outcome.rejection.reason}: ${outcome.rejection.detail}`, outcome };
  // Report ids are looked at only after sender trust: a forged mail must never take the genuine report's id.
  const keys = reportClaims(outcome.reports);
  const claims = input.force ? [] : keys;
  let fuller: QueueDecision['fuller'];
  const taken: ReportTaken[] = [];
  for (const { messageId, errors, check } of claims) {
    if (!check) continue;
    const owner = await look.reportOwner(messageId);
    if (!owner || owner.mailId === mailId) continue;
    // the copy that came first was cut off: this one's other rows still need their tickets
    if (readsMore(errors, owner)) fuller ??= { messageId, errors, owner };
    else taken.push({ messageId, ownerMailId: owner.mailId });
  }
  // forced: the mail, or one of its reports in another mail, was handled before
  const forced = !!input.force && (entry !== null || (await someOwnedElsewhere(keys, mailId, look)));
  const queue = { step: 'queue' as const, mailId, entry, verdict, outcome, reports: outcome.reports, claims, forced, leftOut: [], ...(fuller && { fuller }) };
  return withoutTaken(queue, taken);
}

/** A forwarder's verdict, withdrawn when the reports are another tenant's than the forwarder's. */
function withinScope(verdict: TrustVerdict, outcome: ParseOutcome, look: IngestLookups): TrustVerdict {
  if (!verdict.trusted || !verdict.forwarder || !verdict.sender || !outcome.ok || !look.forwarderScope) return verdict;
  const refused = look.forwarderScope(verdict.sender, outcome.reports);
  return refused ? { ...verdict, trusted: false, reason: refused } : verdict;
}

async function someOwnedElsewhere(keys: ReadonlyArray<{ messageId: string }>, mailId: string, look: IngestLookups): Promise<boolean> {
  for (const { messageId } of keys) {
    const owner = await look.reportOwner(messageId);
    if (owner && owner.mailId !== mailId) return true;
  }
  return false;
}

/**
 * A queue decision less the reports other mails carried first; a duplicate of the first of
 * them when nothing is left. Also for the reports another ingestor claims between decision
 * and queueing: each id this mail did claim is queued, none is claimed and then dropped.
 */
export function withoutTaken(d: QueueDecision, all: readonly ReportTaken[]): QueueDecision | DuplicateDecision {
  // a key another mail holds that makes none of these reports a copy (the run of a report with a Message-ID of its own) is no matter
  const checked = new Set(d.reports.flatMap(claimKeysOf));
  const taken = all.filter((t) => checked.has(t.messageId));
  if (!taken.length) return d;
  const ids = new Set(taken.map((t) => t.messageId));
  const reports = d.reports.filter((r) => !claimKeysOf(r).some((k) => ids.has(k)));
  if (!reports.length) return { step: 'duplicate-report', mailId: d.mailId, entry: d.entry, messageId: taken[0]!.messageId, ownerMailId: taken[0]!.ownerMailId, outcome: d.outcome };
  return { ...d, reports, claims: d.claims.filter((c) => !ids.has(c.messageId)), leftOut: [...d.leftOut, ...taken] };
}

export function duplicateReportReason(messageId: string, ownerMailId: string): string {
  if (!messageId.startsWith(RUN_COPY)) return `report ${messageId} already ingested as ${ownerMailId}`;
  const [run, errors] = messageId.slice(RUN_COPY.length).split('|');
  const which = run!.startsWith('sent ') ? `Microsoft sent ${run!.slice(5)}` : `of run ${run}`;
  return `a copy of the report ${which} (${errors} error(s), the same ones) already ingested as ${ownerMailId}`;
}

/** The outcome of a decision, the ledger status it leads to, and the sentence for the admin. */
export function describeDecision(d: IngestDecision): { outcome: MailOutcome; status: MailStatus; reason: string; keptUnread?: true } {
  switch (d.step) {
    case 'seen': {
      if (d.entry.status === 'not-a-report') return { outcome: 'not-a-report', status: 'not-a-report', reason: d.entry.reason ?? 'not a report (seen before)' };
      const of = d.entry.duplicateOf ? ` of ${d.entry.duplicateOf}` : '';
      const seen = { outcome: 'duplicate', status: 'duplicate', reason: `already ingested${of} on ${d.entry.firstSeen} (${d.entry.status})` } as const;
      // seen before and kept unread then: still unread now (a second replay read as all done)
      return d.entry.status === 'rejected' ? { ...seen, keptUnread: true } : seen;
    }
    case 'too-large':
      return { outcome: 'too-large', status: 'rejected', reason: d.reason };
    case 'not-a-report':
      return { outcome: 'not-a-report', status: 'not-a-report', reason: d.reason };
    case 'quarantined':
      return { outcome: 'quarantined', status: 'quarantined', reason: d.verdict.reason };
    case 'unreadable':
      return { outcome: 'rejected', status: 'rejected', reason: d.reason };
    case 'duplicate-report':
      return { outcome: 'duplicate', status: 'duplicate', reason: duplicateReportReason(d.messageId, d.ownerMailId) };
    case 'queue': {
      const fuller = d.fuller && `; reads ${d.fuller.errors} error(s) of report ${d.fuller.messageId}, ${d.fuller.owner.mailId} read ${d.fuller.owner.errors}`;
      const leftOut = d.leftOut.map((t) => `; left out ${duplicateReportReason(t.messageId, t.ownerMailId)}`).join('');
      return { outcome: d.forced ? 'forced' : 'new', status: 'queued', reason: `${d.verdict.reason}${fuller ?? ''}${leftOut}` };
    }
  }
}

/**
 * Lookups for a dry run over many mails: the live ledger, overlaid with what the mails
 * decided earlier in the same run would have written to it, so that a mail seen twice in
 * one run (or two mails carrying one report) answer as they would in the real run.
 */
export function plannedLookups(live: IngestLookups, now: () => Date = () => new Date()): IngestLookups & { remember(d: IngestDecision, origin: MailOrigin): void } {
  const entries = new Map<string, LedgerEntry>();
  const owners = new Map<string, ReportClaim>();
  return {
    entry: async (mailId) => entries.get(mailId) ?? live.entry(mailId),
    reportOwner: async (messageId) => owners.get(normalizeMessageId(messageId)) ?? live.reportOwner(messageId),
    parse: (raw) => live.parse(raw),
    trust: (raw, meta) => live.trust(raw, meta),
    ...(live.forwarderScope && { forwarderScope: live.forwarderScope }),
    remember(d, origin) {
      if (d.step === 'seen') return;
      const { status, reason } = describeDecision(d);
      const at = now().toISOString();
      const duplicateOf = d.step === 'duplicate-report' ? d.ownerMailId : null;
      entries.set(d.mailId, { mailId: d.mailId, status, origin, firstSeen: d.entry?.firstSeen ?? at, updatedAt: at, rerun: d.entry?.rerun ?? null, duplicateOf, reason });
      // a queued mail owns its reports' ids now: they were free, its own, or it reads more of them
      if (d.step === 'queue') for (const { messageId, errors } of d.claims) owners.set(normalizeMessageId(messageId), { mailId: d.mailId, errors });
    },
  };
}
