import type { MailOrigin, ReportRef } from '../../schemas/jobs.schema.ts';
import type { ParsedReport } from '../../schemas/report.schema.ts';

/**
 * What later stages need to know about the report an error came from. `tenantKey` names
 * the tenant as stably as the report allows: its initial domain, else its id, else its
 * name, else whom Microsoft sent it to (the tenant's technical contact), else the address
 * that forwarded it (an MSP maps these in its tenants file). A report that says none of
 * these is a stream of its own (`unknown:<report id>`): it must never make another
 * tenant's report "old", nor resolve another tenant's tickets;
 * `coversAt` orders reports by the sync run they describe, so a replayed old report can
 * never undo a newer one.
 */
export interface ReportContext {
  mailId: string | null;
  /** When the mail came; null when nothing says (arrivalOf): a report dated nowhere then covers UNDATED_RUN. */
  receivedAt: Date | null;
  envelopeFrom: string | null;
  source?: ReportRef['source'];
}

export type ToReportRef = (report: ParsedReport, ctx: ReportContext) => ReportRef;

/** When the run a report covers was, as `coversAt` says it (epoch ms); NaN when the report says nothing of it. */
export function runTime(report: Pick<ParsedReport, 'reportedAt' | 'sentAt'>): number {
  return Date.parse(report.reportedAt ?? report.sentAt ?? '');
}

/**
 * The run of a report that no run time, Date or Received header dates and whose mail came from
 * a file or an mbox: the oldest there is. Dated by the replay's own clock it would be the
 * newest, and resolve what newer reports still list; as the oldest it resolves
 * and reopens nothing a dated report decided, and its problems still get tickets.
 */
export const UNDATED_RUN = new Date(0).toISOString();

/** When a mail came, as its origin knows it: a replayed file's or mbox's receivedAt is only when syncdesk read it. */
export function arrivalOf(origin: MailOrigin, receivedAt: Date): Date | null {
  return origin === 'replay-file' || origin === 'replay-mbox' ? null : receivedAt;
}

/** A run time as tickets show it: UNDATED_RUN in words. */
export function runText(iso: string): string {
  return iso === UNDATED_RUN ? 'an unknown time (its mail is dated nowhere)' : iso;
}

/**
 * The stream a report belongs to: its tenant's reports by mail, or those of the Graph poll
 * (`<tenant>|graph`, polled on a clock of its own). Reports are ordered, applied and counted
 * missing within their stream. `tenantKey`: another name of the tenant (an alias).
 */
export function reportStream(report: Pick<ReportRef, 'source' | 'tenantKey'>, tenantKey: string = report.tenantKey): string {
  return report.source === 'graph' ? `${tenantKey}|graph` : tenantKey;
}

/** The tenant a stream is of: a Graph poll's stream (`<tenant>|graph`) and a digest's (`digest:<tenant>`) are its tenant's. */
export function streamTenant(stream: string): string {
  return stream.replace(/^digest:/, '').replace(/\|graph$/, '');
}

export const toReportRef: ToReportRef = (report, ctx) => {
  const t = report.tenant;
  const named = t.domain ?? t.id ?? t.name ?? report.recipient ?? report.forwardedBy ?? ctx.envelopeFrom;
  // runTime's, else when the mail came
  const at = report.reportedAt ?? report.sentAt ?? ctx.receivedAt?.toISOString() ?? UNDATED_RUN;
  const mailReportId = report.messageId ?? ctx.mailId ?? `${named ?? 'unknown'}:${at}`;
  // reports forwarded inline together share their message: each needs an id of its own, or the second would count as applied
  const reportId = report.part ? `${mailReportId}#${report.part}` : mailReportId;
  const tenantKey = (named ?? `unknown:${reportId}`).trim().toLowerCase();
  const domains = objectDomains(report.errors);
  return {
    reportId,
    mailId: ctx.mailId,
    subject: report.subject,
    coversAt: at,
    tenantKey,
    tenant: t,
    ...(domains.length && { objectDomains: domains }),
    source: ctx.source ?? 'mail',
    ...(report.cutOff && { cutOff: true }),
  };
};

/** More would say no more of whose directory it is, and every job of the report carries them. */
const MAX_OBJECT_DOMAINS = 8;
const ADDRESS_DOMAIN_RE = /@([a-z0-9-]+(?:\.[a-z0-9-]+)+)/gi;

/** The domains of the objects' names and values (UPNs, addresses), most frequent first. */
export function objectDomains(errors: ParsedReport['errors']): string[] {
  const counts = new Map<string, number>();
  const add = (text: string | null) => {
    for (const m of (text ?? '').matchAll(ADDRESS_DOMAIN_RE)) {
      const domain = m[1]!.toLowerCase();
      counts.set(domain, (counts.get(domain) ?? 0) + 1);
    }
  };
  for (const e of errors) {
    add(e.identity);
    for (const a of e.attributes) add(a.value);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, MAX_OBJECT_DOMAINS).map(([d]) => d);
}

/**
 * Keys syncdesk gave this report's tenant before its parser read names past an abbreviation's
 * dot (37aa500): "for tenant Contoso Ltd. UK." was "contoso ltd", cut at the first
 * stop that was no initial's. As aliases (ReportRef.tenantAliases) they keep the tickets opened
 * under that key the tenant's after an upgrade, instead of a second ticket each.
 */
export function legacyTenantKeys(ref: Pick<ReportRef, 'tenant' | 'tenantKey'>): string[] {
  const { domain, id, name } = ref.tenant;
  // only a key made of the name: a domain or an id was read the same before
  if (domain || id || !name) return [];
  const old = OLD_NAME_STOP_RE.exec(name.trim())?.[1]?.trim().toLowerCase();
  return old && old !== ref.tenantKey ? [old] : [];
}
/** The old reader's end of a name: the first stop before a space that follows no lone initial ("A. Datum" keeps its dot). */
const OLD_NAME_STOP_RE = /^(.+?)(?<!(?:^|\s)[A-Z])\.(?=\s)/;
