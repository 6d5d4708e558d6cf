import type { Config } from '../../../schemas/config.schema.ts';
import type { DeskRoute } from '../../../schemas/ticket.schema.ts';
import type { CheckResult } from '../../doctor/check.ts';
import { probeFileDesk, probeJira, probeRt, probeServiceNow, probeZendesk } from '../../doctor/desk-check.ts';
import type { Logger } from '../../logger.ts';
import type { TicketSink } from '../ticket-sink.ts';
import { createFileTicketSink } from './file-ticket-sink.ts';
import type { DeskExtras } from './desk-kit.ts';
import type { DeskHttpOptions } from './http.ts';
import { createJiraTicketSink } from './jira-ticket-sink.ts';
import { createMailAttacher, type MailAttacher } from './mail-attachment.ts';
import { createRtTicketSink } from './rt-ticket-sink.ts';
import { createServiceNowTicketSink } from './servicenow-ticket-sink.ts';
import { createZendeskTicketSink } from './zendesk-ticket-sink.ts';

/** What every desk adapter may be handed by the composition root. */
export interface TicketSinkDeps {
  logger: Logger;
  /** Reads report mails to attach; built from MAIL_STORE_DIR and TICKET_ATTACH_* when absent. */
  mail?: MailAttacher;
  /** Overrides for the shared HTTP layer (tests inject sleep, shorter timeouts). */
  http?: Partial<Omit<DeskHttpOptions, 'desk' | 'baseURL' | 'auth'>>;
  now?: () => Date;
  /** The tenants file's routes (`desk:`), for desks that search or check them ahead. */
  routes?: readonly DeskRoute[];
}

/** A desk: how its adapter is built, and how `doctor` checks that it can work (login, key field, rules). */
interface Desk {
  create(config: Config, deps: TicketSinkDeps & DeskExtras): TicketSink;
  probe(config: Config, timeoutMs: number): Promise<CheckResult[]>;
  /** Where a tenant's route puts a new ticket on this desk, as an admin reads it ("RT queue Contoso"); null when it says nothing for it. */
  routeText(route: DeskRoute | undefined): string | null;
}

/**
 * The one place desks are listed, keyed by `TICKET_SINK`, each with its `doctor` probe
 * (written in doctor/desk-check.ts) beside its adapter so a desk cannot be added without one.
 * That is why the ticket stage imports doctor/desk-check.ts: the layering is deliberate.
 * Adding a desk: docs/adding-a-desk.md.
 */
const DESKS: Record<Config['ticket']['sink'], Desk> = {
  file: {
    create: (config, deps) => createFileTicketSink({ dir: config.ticket.fileDir, now: deps.now, priority: deps.priority, mail: deps.mail }),
    probe: probeFileDesk,
    routeText: () => null,
  },
  rt: { create: (config, deps) => createRtTicketSink(config.ticket.rt, deps), probe: probeRt, routeText: (route) => (route?.rt ? `RT queue ${route.rt.queue}` : null) },
  servicenow: {
    create: (config, deps) => createServiceNowTicketSink(config.ticket.servicenow, deps),
    probe: probeServiceNow,
    routeText: (route) => {
      const sn = route?.servicenow;
      const parts = [sn?.assignmentGroup && `group ${sn.assignmentGroup}`, sn?.company && `company ${sn.company}`].filter(Boolean);
      return parts.length ? `ServiceNow ${parts.join(', ')}` : null;
    },
  },
  jira: { create: (config, deps) => createJiraTicketSink(config.ticket.jira, deps), probe: probeJira, routeText: (route) => (route?.jira ? `Jira project ${route.jira.project}` : null) },
  zendesk: {
    create: (config, deps) => createZendeskTicketSink(config.ticket.zendesk, deps),
    probe: probeZendesk,
    routeText: (route) => (route?.zendesk ? `Zendesk group ${route.zendesk.groupId}${route.zendesk.assigneeEmail ? ` (${route.zendesk.assigneeEmail})` : ''}` : null),
  },
};

/** Where a route puts a new ticket on `desk`, as an admin reads it; null when it says nothing for that desk. */
export function routeText(route: DeskRoute | undefined, desk: Config['ticket']['sink']): string | null {
  return DESKS[desk].routeText(route);
}

/** The configured desk's adapter, with the priority levels and the report-mail reader of the configuration. */
export function createTicketSink(config: Config, deps: TicketSinkDeps): TicketSink {
  const mail =
    deps.mail ??
    createMailAttacher({ storeDir: config.ingest.storeDir, attach: config.ticket.mail.attach, maxBytes: config.ticket.mail.maxBytes, logger: deps.logger });
  const http = { maxConcurrent: config.ticket.concurrency, maxConcurrentCeiling: config.ticket.maxConcurrency, ...deps.http };
  return DESKS[config.ticket.sink].create(config, { ...deps, http, mail, priority: config.ticket.priority });
}

/** What `doctor` reports about the configured desk. */
export function probeDesk(config: Config, timeoutMs = 15_000): Promise<CheckResult[]> {
  return DESKS[config.ticket.sink].probe(config, timeoutMs);
}
