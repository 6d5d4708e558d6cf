import { z } from 'zod';

/**
 * Desk-neutral ticket content: adapters render these blocks in their own markup
 * (Markdown, HTML, Atlassian Document Format, plain text) and escape every value there.
 */
export const ContentBlockSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('heading'), text: z.string() }),
  z.object({ kind: z.literal('paragraph'), text: z.string() }),
  z.object({ kind: z.literal('list'), items: z.array(z.string()) }),
  z.object({ kind: z.literal('code'), text: z.string() }),
  z.object({ kind: z.literal('fields'), rows: z.array(z.tuple([z.string(), z.string()])) }),
]);
export type ContentBlock = z.infer<typeof ContentBlockSchema>;

/** What a problem stops: the whole tenant's sync (quota, "synchronization has been stopped") or one object. */
export const PROBLEM_SCOPES = ['tenant', 'object'] as const;
export const ProblemScopeSchema = z.enum(PROBLEM_SCOPES);
export type ProblemScope = z.infer<typeof ProblemScopeSchema>;

/** Desk-neutral priority levels (Zendesk's own); each desk maps them to its field through the configuration. */
export const PRIORITY_LEVELS = ['low', 'normal', 'high', 'urgent'] as const;
export const PriorityLevelSchema = z.enum(PRIORITY_LEVELS);
export type PriorityLevel = z.infer<typeof PriorityLevelSchema>;

export const TicketDraftSchema = z.object({
  /** The correlation key, stored in the desk's key field (RT custom field, SN correlation_id, Jira label, Zendesk external_id). */
  key: z.string().min(1).max(100),
  /** One line an agent can scan: category, attribute, value, object, tenant. At most 255 characters. */
  summary: z.string().min(1).max(255),
  body: z.array(ContentBlockSchema),
  /** A short readable form of the key (SN correlation_display, a Zendesk tag). */
  keyDisplay: z.string().max(100),
  /** What the problem stops; the desk's priority follows from it (absent: an object). */
  scope: ProblemScopeSchema.optional(),
  /** The report mail (its id in the mail store), attached where the desk takes attachments and the bytes are on this host. */
  mailId: z.string().optional(),
});
export type TicketDraft = z.infer<typeof TicketDraftSchema>;

/**
 * Where one customer's tickets go on the desk: a tenants file entry's `desk:` (MSPs keep a
 * queue, group or project per customer). Each desk reads its own part; what is unset
 * there is the desk's own setting (RT_QUEUE, SERVICENOW_ASSIGNMENT_GROUP, JIRA_PROJECT,
 * ZENDESK_GROUP_ID). Only where a ticket is created: one that exists stays where it is.
 */
export const DeskRouteSchema = z
  .object({
    rt: z.object({ queue: z.string().min(1) }).strict().optional(),
    servicenow: z
      .object({
        /** A sys_user_group's sys_id or exact name. */
        assignmentGroup: z.string().min(1).optional(),
        /** A core_company's sys_id or exact name: the incident's Company. */
        company: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    jira: z.object({ project: z.string().min(1) }).strict().optional(),
    // a group, not an organization: Zendesk takes only an organization of the ticket's requester
    // (the syncdesk account), so a customer's organization is set by its own requesters, not here
    zendesk: z
      .object({
        groupId: z.number().int().positive(),
        /** An agent of that group who gets the tickets (and solves them where auto-assign on solve is off); ZENDESK_ASSIGNEE_EMAIL is not sent with a routed group. */
        assigneeEmail: z.string().email().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type DeskRoute = z.infer<typeof DeskRouteSchema>;

export const DESK_STATUSES = ['open', 'resolved', 'closed', 'wontfix'] as const;
export type DeskStatus = (typeof DESK_STATUSES)[number];

/** A ticket as the desk has it. */
export const DeskTicketSchema = z.object({
  id: z.string(),
  /** How the desk shows the ticket to its agents where that is not the id: Jira's issue key (IDM-4), ServiceNow's number (INC0000003). */
  name: z.string().optional(),
  key: z.string(),
  url: z.string().nullable(),
  /** open (new/open/in progress/pending…), resolved (reopenable), closed (terminal), wontfix (leave alone). */
  status: z.enum(DESK_STATUSES),
  /**
   * When the ticket was last resolved or closed (ISO), null while open: not when it was last
   * updated (an agent's later note must not move it). The reopen window and a lost state's
   * "decided after this report's run" count from it (src/ticket/ticket-step.ts).
   */
  resolvedAt: z.string().nullable(),
  /**
   * The ticket syncdesk made for the problem, which an agent merged into this one (RT): this one
   * holds more than the problem (another problem, a user's request), so syncdesk writes notes
   * to it and never changes its status.
   */
  mergedFrom: z.string().optional(),
  /**
   * Closed by an agent's merge into another ticket the desk does not name to syncdesk (Zendesk's
   * `closed_by_merge` tag): the problem is worked there, so it is left alone while reports keep
   * listing it.
   */
  mergedAway: z.literal(true).optional(),
  /**
   * Read by id, the desk does not say which key the ticket holds (RT: a queue the key field is
   * not applied to): it may still be ours. Otherwise a ticket read by id whose key is not ours
   * is someone else's (the desk was reset or replaced behind the same address).
   */
  keyUnknown: z.literal(true).optional(),
  /** In the desk no more (deleted, or moved where syncdesk cannot read it): read as closed, and no follow-up can link to it. */
  gone: z.literal(true).optional(),
});
export type DeskTicket = z.infer<typeof DeskTicketSchema>;
