import type { Config } from '../../../schemas/config.schema.ts';
import type { Logger } from '../../logger.ts';
import type { TicketSink } from '../ticket-sink.ts';
import { createFileTicketSink } from './file-ticket-sink.ts';
import type { DeskHttpOptions } from './http.ts';
import { createJiraTicketSink } from './jira-ticket-sink.ts';
import { createRtTicketSink } from './rt-ticket-sink.ts';
import { createServiceNowTicketSink } from './servicenow-ticket-sink.ts';
import { createZendeskTicketSink } from './zendesk-ticket-sink.ts';

/** What every desk adapter may be handed by the composition root. */
export interface TicketSinkDeps {
  logger: Logger;
  /** Overrides for the shared HTTP layer (tests inject sleep, shorter timeouts). */
  http?: Partial<Omit<DeskHttpOptions, 'desk' | 'baseURL' | 'auth'>>;
  now?: () => Date;
}

/** The one place a desk adapter is chosen, from `TICKET_SINK`. */
export function createTicketSink(config: Config, deps: TicketSinkDeps): TicketSink {
  const ticket = config.ticket;
  switch (ticket.sink) {
    case 'file':
      return createFileTicketSink({ dir: ticket.fileDir, now: deps.now });
    case 'rt':
      return createRtTicketSink(ticket.rt, deps);
    case 'servicenow':
      return createServiceNowTicketSink(ticket.servicenow, deps);
    case 'jira':
      return createJiraTicketSink(ticket.jira, deps);
    case 'zendesk':
      return createZendeskTicketSink(ticket.zendesk, deps);
  }
}
