import { z } from 'zod';
import { GraphCloudSchema } from './config.schema.ts';
import { ParsedReportSchema, SyncErrorSchema } from './report.schema.ts';
import { OnPremSideSchema, ResolutionSchema } from './resolution.schema.ts';

/**
 * The queue catalog: one payload schema per queue. Every worker parses its payload
 * on entry, so a malformed job fails permanently with a clear reason.
 */

/** Where a mail came in: the IMAP listener, the Graph mailbox, or a replay. */
export const MailOriginSchema = z.enum(['imap', 'replay-file', 'replay-mbox', 'replay-imap', 'graph', 'replay-graph']);
export type MailOrigin = z.infer<typeof MailOriginSchema>;

/** The report a problem came from, as later stages need it (ordering, tenant routing, ticket history). */
export const ReportRefSchema = z.object({
  /** Stable id of the report: its messageId, else the mail id. */
  reportId: z.string(),
  mailId: z.string().nullable(),
  subject: z.string(),
  /** The time the report covers (reportedAt, else sentAt, else receivedAt): reports apply in this order. */
  coversAt: z.string().datetime({ offset: true }),
  tenantKey: z.string(),
  /**
   * Other keys the tenant's problems may be stored under: what earlier configurations named it
   * (the report's own key, before a snapshot or the tenants file named it otherwise; the
   * snapshot's key, before the tenants file). A problem found under one is moved to `tenantKey`,
   * its ticket kept.
   */
  tenantAliases: z.array(z.string()).optional(),
  tenant: ParsedReportSchema.shape.tenant,
  /**
   * Domains of the objects the report lists (their UPNs and addresses), a few at most:
   * whose directory it is, where the report names its tenant by name alone.
   */
  objectDomains: z.array(z.string()).optional(),
  /**
   * The national cloud the tenant is in, as the configuration says (its tenants-file entry,
   * else GRAPH_CLOUD); absent for the global cloud. Tickets tell agents to connect there first.
   */
  cloud: GraphCloudSchema.optional(),
  /**
   * The tenant's name as syncdesk's own configuration knows it (its tenants file entry, else its
   * directory snapshot): tickets are titled by it, not by the name the report
   * itself states, which whoever wrote the mail chose.
   */
  tenantName: z.string().optional(),
  /**
   * Where the report came from: a mail, or the Graph poll. Both feed the same tickets (same
   * tenant key, same fingerprints), but each source is its own ordered stream: a poll at 06:02
   * must not make the 06:00 mail "old", nor resolve what only mails report.
   */
  source: z.enum(['mail', 'graph']).default('mail'),
  /** The report's mail looks cut off: its problems are applied, but what it lacks is not counted missing. */
  cutOff: z.boolean().optional(),
});
export type ReportRef = z.infer<typeof ReportRefSchema>;

/** Most errors one resolve job carries: a report with thousands of errors becomes many small jobs. */
export const RESOLVE_CHUNK_SIZE = 50;

/** resolve: a chunk of errors (at most RESOLVE_CHUNK_SIZE) of one report; returns one ResolveResult per error. */
export const ResolveJobSchema = z.object({
  report: ReportRefSchema,
  errors: z.array(SyncErrorSchema).min(1).max(RESOLVE_CHUNK_SIZE),
});
export type ResolveJob = z.infer<typeof ResolveJobSchema>;

/** A report's errors, or a chunk of them: what the ticket stage applies. */
export const ReportErrorsSchema = z.object({
  report: ReportRefSchema,
  errors: z.array(SyncErrorSchema),
});
export type ReportErrors = z.infer<typeof ReportErrorsSchema>;

/**
 * ticket: each report is a BullMQ flow of ticket jobs of three kinds:
 *
 *   chunk  the errors of one resolve job (its only child), applied to the desk as soon as
 *          that lookup is done: the first tickets of a 20,000-error report appear within
 *          seconds, and no job holds the whole report.
 *   close  the report's root, once every chunk is applied: counts what the report no longer
 *          lists (auto-resolve) and marks the report applied. "Missing" needs the whole report.
 *   whole  the report at once, after all its resolve jobs (digest mode: one ticket per
 *          report; and jobs queued before chunks existed, whose payload has no `kind`).
 */
export const TicketChunkJobSchema = ReportErrorsSchema.extend({
  kind: z.literal('chunk'),
  errors: z.array(SyncErrorSchema).min(1).max(RESOLVE_CHUNK_SIZE),
  /**
   * A lookup retried (`failed retry`) after this chunk's tickets went out without it: its
   * report was applied already, and only its open tickets are brought up to date.
   */
  relookup: z.boolean().optional(),
  /** A forced re-run (`replay --force`): its open tickets whose lookup now says more are brought up to date. */
  forced: z.boolean().optional(),
});
export const ReportCloseJobSchema = z.object({
  kind: z.literal('close'),
  report: ReportRefSchema,
  /** How many errors the report lists (0: a report with no error row). */
  errorCount: z.number().int().nonnegative(),
});
export const WholeReportJobSchema = ReportErrorsSchema.extend({ kind: z.literal('whole') });

export const TicketJobSchema = z.preprocess(
  (data) => (data && typeof data === 'object' && !('kind' in data) ? { ...data, kind: 'whole' } : data),
  z.discriminatedUnion('kind', [TicketChunkJobSchema, ReportCloseJobSchema, WholeReportJobSchema]),
);
export type TicketJob = z.infer<typeof TicketJobSchema>;
export type TicketChunkJob = z.infer<typeof TicketChunkJobSchema>;

/**
 * Why a report applied before is applied again with its lookup: `relookup`, a lookup retried
 * (`failed retry`) after its tickets went out without it; `forced`, the admin ran it again
 * (`replay --force`: a snapshot or the directory fixed since). Either way its open tickets are
 * brought up to date; only a forced run also creates what its first run did not list.
 */
export type Refresh = 'relookup' | 'forced';

/** A chunk job's payload says it as two flags (what jobs queued by earlier versions carry). */
export function refreshFlags(refresh: Refresh | undefined): Pick<TicketChunkJob, 'relookup' | 'forced'> {
  return refresh === 'relookup' ? { relookup: true } : refresh === 'forced' ? { forced: true } : {};
}

export function refreshOf(job: Pick<TicketChunkJob, 'relookup' | 'forced'>): Refresh | undefined {
  return job.relookup ? 'relookup' : job.forced ? 'forced' : undefined;
}
export type ReportCloseJob = z.infer<typeof ReportCloseJobSchema>;

/** One error's resolution; a resolve job returns an array of these to its parent ticket job. */
export const ResolveResultSchema = z.object({
  fingerprint: z.string(),
  resolution: ResolutionSchema,
});
export type ResolveResult = z.infer<typeof ResolveResultSchema>;

/**
 * onprem: the same chunk as its resolve parent, read from on-premises AD by a worker inside
 * the customer's network; returns the on-premises side of each error (src/app/onprem-processor.ts).
 */
export const OnPremJobSchema = ResolveJobSchema;
export type OnPremJob = ResolveJob;

/** What an onprem job returns to its resolve parent. */
export const OnPremJobResultSchema = z.array(z.object({ fingerprint: z.string(), side: OnPremSideSchema }));
export type OnPremJobResult = z.infer<typeof OnPremJobResultSchema>;

/**
 * poll: the scheduled Graph poll (onPremisesProvisioningErrors), an ingest source like a mail.
 * Mails are parsed once, by the ingestor, which queues the report flows itself.
 * The job carries no payload.
 */
export const PollJobSchema = z.object({});

/** The four role queues; forests add `onprem-<forest>` (see src/queues.ts). */
export const QUEUE_NAMES = { poll: 'poll', resolve: 'resolve', ticket: 'ticket', onprem: 'onprem' } as const;
export type QueueName = keyof typeof QUEUE_NAMES;
