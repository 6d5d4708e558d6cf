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

export const TicketDraftSchema = z.object({
  /** The correlation key, stored in the desk's key field (RT custom field, SN correlation_id, Jira label, Zendesk external_id). */
  key: z.string().min(1).max(100),
  /** One line an agent can scan: category, attribute, value, object, tenant. At most 255 characters. */
  summary: z.string().min(1).max(255),
  body: z.array(ContentBlockSchema),
  /** A short readable form of the key (SN correlation_display, a Zendesk tag). */
  keyDisplay: z.string().max(100),
});
export type TicketDraft = z.infer<typeof TicketDraftSchema>;

export const DESK_STATUSES = ['open', 'resolved', 'closed', 'wontfix'] as const;
export type DeskStatus = (typeof DESK_STATUSES)[number];

/** A ticket as the desk has it. */
export const DeskTicketSchema = z.object({
  id: z.string(),
  key: z.string(),
  url: z.string().nullable(),
  /** open (new/open/in progress/pending…), resolved (reopenable), closed (terminal), wontfix (leave alone). */
  status: z.enum(DESK_STATUSES),
  resolvedAt: z.string().nullable(),
});
export type DeskTicket = z.infer<typeof DeskTicketSchema>;
