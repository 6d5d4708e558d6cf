import type { Redis } from 'ioredis';
import { graphSignInGaps, type Config } from '../../schemas/config.schema.ts';
import { createIngestor, type IngestMeta, type IngestResult } from '../ingest/ingest-mail.ts';
import { createMailStore, type MailStore } from '../ingest/mail-store.ts';
import { createReportQueuer, type QueuedReport, type QueueReports } from '../ingest/queue-reports.ts';
import type { Logger } from '../logger.ts';
import { legacyTenantKeys, toReportRef, type ToReportRef } from '../parse/report-ref.ts';
import { createQueues, type Queues } from '../queues.ts';
import { openRedis, type RedisHandle } from '../redis/connection.ts';
import type { GraphObserver } from '../resolve/graph-observer.ts';
import type { Resolver } from '../resolve/resolver.ts';
import { loadSnapshotDirectory } from '../resolve/snapshot/snapshot-store.ts';
import { createReportOrder, type ReportOrder } from './report-order.ts';
import { createTenantCloudOf, createTenantNameOf, createTenantNamer, loadConfiguredTenants, type TenantDirectory } from '../resolve/tenants.ts';
import { createTicketStageFromConfig, type TicketStageHandle } from '../ticket/ticket-stage.ts';
import { onPremRouting } from './onprem-routing.ts';
import { createResolverFromConfig } from './resolver-from-config.ts';

/**
 * The composition root every long-running command shares: Redis (embedded or configured),
 * the queues, the mail store, and the stages, built on first use and closed together.
 */

export type Ingestor = ReturnType<typeof createIngestor>;

export interface Runtime {
  config: Config;
  logger: Logger;
  redis: RedisHandle;
  queues: Queues;
  store: MailStore;
  /** Reports of one stream applied in their runs' order, whatever the workers (report-order.ts). */
  reportOrder: ReportOrder;
  /** The tenants file, read once (null without one). */
  tenants: TenantDirectory | null;
  /** The ingestor; with `queueReports`, one of its own that queues through it (a replay that waits for each report's flow). */
  ingestor(queueReports?: QueueReports): Ingestor;
  resolver(): Resolver;
  ticketStage(): TicketStageHandle;
  /** toReportRef with the tenant named as the configuration knows it (see createTenantNamer). */
  reportRef: ToReportRef;
  /** Queues reports' resolve → ticket flows (the ingestor and the Graph poll use it). */
  queueReports: QueueReports;
  /**
   * The Graph poll, an ingest source like a mailbox: reads the tenants' current sync
   * errors and queues them as reports of the `graph` stream. Undefined without Graph.
   */
  pollGraph(): (() => Promise<QueuedReport[]>) | undefined;
  /** Sees every Graph request where metrics are kept (RuntimeHooks.graph): the mailbox's too. */
  observeGraph?: GraphObserver;
  /** Closes stages, queues and Redis (stopping the embedded server if we started it). */
  close(options?: { keepEmbedded?: boolean }): Promise<void>;
}

/** Observers of what the process does (the admin metrics plug in here). */
export interface RuntimeHooks {
  /** Every ingestion's answer (IMAP listener and replays). */
  ingested?: (result: IngestResult, meta: IngestMeta) => void;
  /** Every Graph request: the resolve stage's, the Graph poll's and the Graph mailbox's. */
  graph?: GraphObserver;
}

export function graphConfigured(config: Config): boolean {
  return Boolean(config.graph.tenantsFile) || graphSignInGaps(config.graph).length === 0;
}

export async function openRuntime(config: Config, logger: Logger, hooks: RuntimeHooks = {}): Promise<Runtime> {
  // read once: the queues route by it, reports are named by it, the resolver signs in with it
  const tenants = loadConfiguredTenants(config);
  const redis = await openRedis(config, logger);
  const client = redis.client as Redis;
  const queues = createQueues(redis.client, redis.queuePrefix, { ...onPremRouting(config, tenants), digest: config.ticket.digest });
  const store = createMailStore({
    dir: config.ingest.storeDir,
    maxMailBytes: config.ingest.maxMailBytes,
    retentionDays: config.ingest.retentionDays,
  });
  let ingestor: Ingestor | undefined;
  let resolver: Resolver | undefined;
  let stage: TicketStageHandle | undefined;
  const stageLogger = (name: string) => logger.child({ component: name });
  const snapshots = loadSnapshotDirectory(config.graph.snapshotDir);
  const nameTenant = createTenantNamer(config, tenants, snapshots);
  const tenantNameOf = createTenantNameOf(tenants, snapshots);
  const cloudOf = createTenantCloudOf(config, tenants);
  const reportRef: ToReportRef = (report, ctx) => {
    const ref = toReportRef(report, ctx);
    const tenantKey = nameTenant(ref);
    // what the tenant was named by before a snapshot or the tenants file named it, or an older parser
    const aliases = [...new Set([ref.tenantKey, snapshots.keyOf(ref), ...legacyTenantKeys(ref)].filter((k): k is string => !!k && k.toLowerCase() !== tenantKey.toLowerCase()))];
    const tenantName = tenantNameOf(ref);
    const cloud = cloudOf(ref);
    return { ...ref, tenantKey, ...(aliases.length && { tenantAliases: aliases }), ...(tenantName && { tenantName }), ...(cloud && { cloud }) };
  };
  const reportOrder = createReportOrder({ redis: redis.client, prefix: config.redis.prefix, ticketQueue: queues.ticket });
  const queueReports = createReportQueuer({ toReportRef: reportRef, queues, order: reportOrder, logger: stageLogger('ingest') });

  return {
    config,
    logger,
    redis,
    queues,
    store,
    reportOrder,
    tenants,
    ingestor(queue) {
      const make = (through: QueueReports): Ingestor => {
        const inner = createIngestor({ redis: client, store, queueReports: through, config, logger: stageLogger('ingest'), tenants });
        const observe = hooks.ingested;
        return observe
          ? {
              async ingest(raw, meta) {
                const result = await inner.ingest(raw, meta);
                observe(result, meta);
                return result;
              },
            }
          : inner;
      };
      if (queue) return make(queue);
      ingestor ??= make(queueReports);
      return ingestor;
    },
    resolver() {
      resolver ??= createResolverFromConfig(config, { redis: client, logger: stageLogger('resolve'), observeGraph: hooks.graph, tenants });
      return resolver;
    },
    ticketStage() {
      stage ??= createTicketStageFromConfig(config, { redis: client, logger: stageLogger('ticket'), tenants });
      return stage;
    },
    reportRef,
    queueReports,
    observeGraph: hooks.graph,
    pollGraph() {
      if (!graphConfigured(config)) return undefined;
      // loaded on use: the Graph SDK is only needed where Graph is configured
      return async () => {
        const { pollGraph } = await import('../ingest/graph-poll.ts');
        const reports = await pollGraph(config, { redis: client, logger: stageLogger('poll-graph'), observeGraph: hooks.graph });
        return queueReports(reports, { mailId: null, receivedAt: new Date(), envelopeFrom: null, source: 'graph' });
      };
    },
    async close(options = {}) {
      await Promise.allSettled([resolver?.close(), stage?.close()]);
      await queues.close();
      await redis.close(options);
    },
  };
}
