import type { Redis } from 'ioredis';
import type { Config } from '../../schemas/config.schema.ts';
import type { Logger } from '../logger.ts';
import { deskRouteOf, deskRoutes, type TenantDirectory } from '../resolve/tenants.ts';
import { createReportApplier, type ApplyReport, type ApplyReportDeps, type ReportApplier } from './apply-report.ts';
import { createPlanReport } from './dry-run.ts';
import { createTicketSink, type TicketSinkDeps } from './sinks/index.ts';
import type { TicketSink } from './ticket-sink.ts';
import { createTicketStateStore } from './ticket-state.ts';

/** The ticket stage as the pipeline sees it: apply a report (at once, or chunk by chunk then close it), close. */
export interface TicketStageHandle extends ReportApplier {
  /**
   * A plan: what `applyReport` would do, reading the desk and the state but changing neither
   * (`replay --dry-run`). Its reports are planned one after the other, each after what the
   * plan did for the ones before, as a real run applies them.
   */
  plan(): ApplyReport;
  readonly sink: TicketSink;
  close(): Promise<void>;
}

/** Whether a tenant key is one the configuration names a tenant by: how createTenantNamer keys a tenant it knows. */
function configuredTenantKeys(config: Config, tenants: TenantDirectory | null): (tenantKey: string) => boolean {
  const keys = new Set([...(tenants?.tenants ?? []).map((t) => t.tenantId.toLowerCase()), config.graph.tenantId?.trim().toLowerCase()]);
  return (tenantKey) => keys.has(tenantKey);
}

/**
 * Builds the ticket stage from config: the desk chosen by TICKET_SINK, state and locks in
 * Redis under `<REDIS_PREFIX>:ticket:`, and the policy (reopen window, auto-resolve, digest);
 * new tickets go where the tenants file routes their tenant (`desk:`).
 * The Redis connection belongs to the caller and is not closed here.
 */
export function createTicketStageFromConfig(
  config: Config,
  deps: { redis: Redis; logger: Logger; now?: () => Date; sink?: TicketSink; http?: TicketSinkDeps['http']; tenants?: TenantDirectory | null },
): TicketStageHandle {
  const tenants = deps.tenants ?? null;
  const sink =
    deps.sink ?? createTicketSink(config, { logger: deps.logger.child({ desk: config.ticket.sink }), now: deps.now, http: deps.http, routes: deskRoutes(tenants) });
  const state = createTicketStateStore(deps.redis, { prefix: config.redis.prefix, settledRetentionMs: config.ticket.stateRetentionDays * 86_400_000 });
  const use: ApplyReportDeps = {
    sink,
    state,
    policy: {
      reopenWithinDays: config.ticket.reopenWithinDays,
      resolveAfterMissing: config.ticket.resolveAfterMissing,
      digest: config.ticket.digest,
    },
    now: deps.now,
    logger: deps.logger,
    // keys worked at once per ticket job: enough to fill the desk's ceiling, which the desk client enforces
    keyConcurrency: config.ticket.maxConcurrency,
    routeOf: deskRouteOf(tenants),
    configuredTenant: configuredTenantKeys(config, tenants),
  };
  return {
    ...createReportApplier(use),
    plan: () => createPlanReport(use),
    sink,
    async close() {
      // Nothing of our own to close: Redis is the caller's, axios keeps no open sockets we own.
    },
  };
}
